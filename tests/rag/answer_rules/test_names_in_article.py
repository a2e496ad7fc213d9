from rag.answer.rules.names_in_article import initials, names_term
from rag.nlp.text import term_set
from tests.rag.answer_rules.helpers import ask

Q = "How many ships did Maersk order this year?"
OTHER_COMPANY = ["Cosco ordered 12 container ships from the shipyard this year."]


def test_an_article_without_the_questions_name_does_not_answer() -> None:
    draft = ask(Q, OTHER_COMPANY)
    assert draft.abstained and "maersk" in draft.abstain_reason.lower()


def test_an_article_naming_it_answers() -> None:
    assert not ask(Q, ["Maersk ordered 12 container ships from the shipyard this year."]).abstained


def test_variant_forms_and_spelled_out_acronyms_name_it() -> None:
    assert names_term("revolutionari", term_set("the Revolution Guards Corps"), 6)
    assert "fda" in initials("the Food and Drug Administration said")


def test_switched_off_any_article_answers() -> None:
    assert not ask(Q, OTHER_COMPANY, rules_off="names_in_article").abstained


def test_a_name_in_another_script_and_an_initialism_are_read_whole() -> None:
    """'Pelé' had been read as the name 'pel' and 'U.S.' as 'u', which no article contains, so
    answerable questions were refused."""
    article = ["The U.S. embassy in Sudan was evacuated on Sunday, and crowds in Brazil mourned Pelé."]
    assert not ask("The U.S. embassy in which country was evacuated?", article).abstained
    assert not ask("Which country mourned soccer great Pelé?", article).abstained
    assert ask("Which country mourned soccer great Maradona?", article).abstained


def test_a_name_most_of_the_archive_says_is_not_required() -> None:
    """A US archive rarely writes "U.S." in its domestic news: the article about Michigan answers."""
    from rag.analysis.question import analyze
    from rag.models import Passage
    from tests.rag.answer_rules.helpers import answerer

    text = "Michigan's governor signed legislation repealing the right-to-work law on Friday."
    p = Passage(chunk_id="d:0", doc_id="d", text=text, start=0, end=len(text), title="", source="o")
    info = analyze("Which U.S. state repealed its right-to-work law?")
    info.name_shares = {"america": 0.3}
    assert not answerer().answer(info, [p], {"d": text}).abstained
    info.name_shares = {"america": 0.01}
    assert answerer().answer(info, [p], {"d": text}).abstained
