"""Questions (open or closed) and misunderstandings, German and English."""

from __future__ import annotations

import pytest

from praesent.core.lexicon import MISUNDERSTANDINGS, find_phrase, is_backchannel, tokens
from praesent.core.questions import classify

EN_OPEN = [
    "What do you use today?",
    "How does your team handle onboarding?",
    "Why is that important?",
    "Tell me about your process.",
    "Could you walk me through the rollout?",
    "Can you describe the problem?",
    "So, which tools do you use?",
    "Pricing, what do you think?",
    "Who decides on the budget",  # no "?", but a question opener
    "Where do you see the biggest gap",
    "Tell me more",
]
EN_CLOSED = [
    "Do you use SAP?",
    "Is that a problem for you?",
    "Can we meet next week?",
    "Would Tuesday work?",
    "You use SAP?",
    "It works, right?",
    "Have you tried it",  # no "?": auxiliary, then a subject
    "Are you the decision maker",
    "Was it good?",  # in English "was" is a verb
]
EN_NONE = [
    "What we need is a plan.",
    "How we do it is simple.",
    "I use SAP.",
    "Tell him I said hi.",
    "When we met last time, you said it was slow.",
    "This is great.",
    "Hello?",
    "Mhm?",
    "",
]
DE_OPEN = [
    "Was nutzen Sie heute?",
    "Wie sieht Ihr Prozess aus?",
    "Warum ist das wichtig?",
    "Welche Tools verwenden Sie?",
    "Wozu brauchen Sie das?",
    "Erzählen Sie mal, wie das bei Ihnen läuft.",
    "Können Sie das näher beschreiben?",
    "Und wie viele Nutzer haben Sie?",
    "Wo sehen Sie den größten Bedarf",
    "Wann wollen Sie starten",
    "Inwiefern hilft Ihnen das?",
]
DE_CLOSED = [
    "Haben Sie schon eine Lösung?",
    "Ist das ein Problem für Sie?",
    "Können wir nächste Woche telefonieren?",
    "Gibt es noch Fragen?",
    "Nutzen Sie SAP?",
    "Das passt so, oder?",
    "Sind Sie der Entscheider",
    "Hast du Zeit",
]
DE_NONE = [
    "Was wir brauchen, ist ein Plan.",
    "Wie Sie wissen, sind wir neu.",
    "Wir nutzen SAP.",
    "Ich habe eine Frage.",
    "Hallo?",
]


@pytest.mark.parametrize("sentence", EN_OPEN)
def test_english_open(sentence: str) -> None:
    assert classify(sentence, "en") == "open"


@pytest.mark.parametrize("sentence", EN_CLOSED)
def test_english_closed(sentence: str) -> None:
    assert classify(sentence, "en") == "closed"


@pytest.mark.parametrize("sentence", EN_NONE)
def test_english_statements(sentence: str) -> None:
    assert classify(sentence, "en") is None


@pytest.mark.parametrize("sentence", DE_OPEN)
def test_german_open(sentence: str) -> None:
    assert classify(sentence, "de") == "open"


@pytest.mark.parametrize("sentence", DE_CLOSED)
def test_german_closed(sentence: str) -> None:
    assert classify(sentence, "de") == "closed"


@pytest.mark.parametrize("sentence", DE_NONE)
def test_german_statements(sentence: str) -> None:
    assert classify(sentence, "de") is None


def test_language_decides_what_was_asks() -> None:
    assert classify("Was ist das?", "de") == "open"
    assert classify("Was ist das?", "en") == "closed"
    assert classify("Was ist das?", "de-AT") == "open"
    assert classify("What is it?", "fr") == "open"  # no lists of its own: English


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Sorry, what do you mean by that?", "what do you mean"),
        ("I don\u2019t understand.", "i don't understand"),
        ("Sorry, I didn't get that.", "i didn't get that"),
        ("Could you repeat the price?", "could you repeat"),
        ("Wie meinen Sie das?", "wie meinen sie das"),
        ("Was meinst du damit?", "was meinst du"),
        ("Hm, das verstehe ich nicht.", "das verstehe ich nicht"),
        ("Wie bitte?", "wie bitte"),
        ("I mean, it works.", None),
        ("Wir verstehen uns gut.", None),
        ("What do you think?", None),
    ],
)
def test_misunderstanding_phrases(text: str, phrase: str | None) -> None:
    assert find_phrase(tokens(text), MISUNDERSTANDINGS) == phrase


@pytest.mark.parametrize(
    ("text", "backchannel"),
    [
        ("Mm-hmm.", True),
        ("Yeah, yeah.", True),
        ("Oh, I see.", True),
        ("uh-huh", True),
        ("Ja genau.", True),
        ("Ach so, alles klar.", True),
        ("No, that is wrong.", False),
        ("Hello?", False),
        ("", False),
    ],
)
def test_backchannel_words(text: str, backchannel: bool) -> None:
    assert is_backchannel(tokens(text)) is backchannel
