from dataclasses import dataclass

from rag.analysis.question import analyze
from rag.answer.rules.unknown_names import UnknownNames
from rag.nlp.text import term_set


@dataclass(frozen=True)
class Words:
    """The terms of an archive (what the rule reads of the lexical index)."""

    terms: frozenset[str]

    def has_term(self, term: str) -> bool:
        return term in self.terms


ARCHIVE = Words(term_set("Oman said the talks with Qatar must resume."))


def test_a_name_no_article_contains_is_missing() -> None:
    assert UnknownNames().missing(analyze("What did Quorvex say about the talks?"), ARCHIVE) == ["quorvex"]


def test_a_name_the_archive_has_is_not() -> None:
    assert UnknownNames().missing(analyze("What did Oman say about the talks?"), ARCHIVE) == []


def test_an_acronym_is_left_to_the_articles() -> None:
    assert UnknownNames().missing(analyze("What did the FDA say about the talks?"), ARCHIVE) == []
