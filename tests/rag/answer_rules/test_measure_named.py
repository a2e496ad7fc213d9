from rag.analysis.question import analyze
from rag.answer.rules.measure_named import measure_terms
from tests.rag.answer_rules.helpers import ask

Q = "What is the inflation rate in China?"
DIPLOMACY = ["China backs a two-state solution, the Chinese foreign minister said on Monday."]


def test_the_measure_is_read_from_the_question() -> None:
    assert measure_terms(analyze(Q)) == {"inflat"}
    assert measure_terms(analyze("How many people died in China?")) == frozenset()


def test_an_article_that_does_not_name_the_measure_does_not_answer() -> None:
    assert ask(Q, DIPLOMACY).abstained
    assert not ask(Q, ["Inflation in China rose to 2.1 percent in May, officials said."]).abstained


def test_switched_off_any_number_answers() -> None:
    assert not ask(Q, DIPLOMACY, rules_off="measure_named").abstained
