"""Extractive summaries, key phrases and the deepening question, on their own."""

from __future__ import annotations

from praesent.core.lexicon import tokens
from praesent.core.options import TopicOptions
from praesent.core.summaries import (
    Idf,
    Sentence,
    content_terms,
    cosine,
    deepen_question,
    key_phrases,
    sentences,
    stem,
    summary_lines,
)
from tests.core.topic_calls import DE_EINFUEHRUNG, EN_INVOICING, EN_ROLLOUT


def _texts(lines: list[str]) -> tuple[list[Sentence], Idf]:
    idf = Idf()
    out: list[Sentence] = []
    for line in lines:
        idf.add(content_terms(tokens(line)))
        out += sentences(line)
    return out, idf


def _assert_spoken(made: list[str], spoken: list[str]) -> None:
    """Every word of what was made is a word of what was spoken."""
    words = {w for line in spoken for w in tokens(line)}
    for line in made:
        assert set(tokens(line)) <= words, line


def _customer(lines: list[tuple[str, str]]) -> list[str]:
    return [text for role, text in lines if role == "customer"]


def test_stems_join_inflections_in_both_languages() -> None:
    assert stem("rollouts") == stem("rollout")
    assert stem("invoices") == stem("invoice")
    assert stem("rechnungen") == stem("rechnung")
    assert stem("preise") == stem("preis")
    assert stem("ja") == "ja"


def test_stop_words_carry_no_topic() -> None:
    assert content_terms(tokens("Well, um, I think that we would like the rollout.")) == ["rollout"]
    assert content_terms(tokens("Also ich denke, wir hätten gern die Einführung.")) == [
        "denke",
        "hätt",
        "gern",
        "einführ",
    ]


def test_cosine_is_zero_without_shared_terms_and_one_for_the_same() -> None:
    idf = Idf()
    idf.add(["invoice", "spreadsheet"])
    idf.add(["parcel"])
    assert cosine(["invoice"], ["parcel"], idf) == 0.0
    assert abs(cosine(["invoice", "parcel"], ["invoice", "parcel"], idf) - 1.0) < 1e-9


def test_key_phrases_are_runs_of_spoken_words() -> None:
    spoken = _customer(EN_ROLLOUT)
    texts, idf = _texts(spoken)
    phrases = key_phrases(texts, idf, 3)
    assert phrases[:2] == ["finance department", "March"]
    _assert_spoken(phrases, spoken)


def test_summary_is_one_to_three_short_lines_of_the_customers_words() -> None:
    spoken = _customer(EN_INVOICING)
    texts, idf = _texts(spoken)
    options = TopicOptions()
    lines = summary_lines(texts, idf, options, key_phrases(texts, idf, 3))
    assert 1 <= len(lines) <= 3
    assert all(len(line.split()) <= options.summary_line_max_words for line in lines)
    _assert_spoken(lines, spoken)
    assert lines == [
        "spreadsheets get slow and the invoice numbers get mixed up at month",
        "Late invoices mean late payments and our cash flow suffers from it",
    ]


def test_summary_drops_hesitations_and_openers() -> None:
    spoken = ["Well, um, the invoices are, uh, always late at month end."]
    texts, idf = _texts(spoken)
    [line] = summary_lines(texts, idf, TopicOptions())
    assert line == "the invoices are always late at month end"
    _assert_spoken([line], spoken)


def test_fewer_words_give_fewer_lines_and_no_words_none() -> None:
    options = TopicOptions(summary_max_lines=3, summary_content_words_per_line=10)
    short, idf = _texts(["The rollout starts in March."])
    assert summary_lines(short, idf, options) == ["The rollout starts in March"]
    empty, idf = _texts(["Mhm.", "Yeah, okay."])
    assert summary_lines(empty, idf, options) == []
    assert key_phrases(empty, idf, 3) == []
    assert deepen_question(empty, idf, "en") is None


def test_german_summary_uses_the_customers_words() -> None:
    spoken = _customer(DE_EINFUEHRUNG)
    texts, idf = _texts(spoken)
    lines = summary_lines(texts, idf, TopicOptions(), key_phrases(texts, idf, 3))
    _assert_spoken(lines, spoken)
    assert lines[0] == "Die Einführung soll im März mit der Buchhaltung beginnen"


def test_deepen_question_in_the_calls_language() -> None:
    spoken = ["The data migration worries us: the data migration must end before go-live."]
    texts, idf = _texts(spoken)
    question = deepen_question(texts, idf, "en-US")
    assert question == "You mentioned \u201cdata migration\u201d: can you tell me more?"
    german = ["Die Datenmigration macht uns Sorgen: die Datenmigration muss vorher fertig sein."]
    texts, idf = _texts(german)
    assert deepen_question(texts, idf, "de") == (
        "Sie haben \u201eDatenmigration\u201c erwähnt: können Sie das näher erläutern?"
    )
