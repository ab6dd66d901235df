"""Questions: which sentences ask, and whether they ask openly.

Open: a W-question ("What do you use?", "Wie sieht das aus?") or a request to tell ("Tell me
about ...", "Could you walk me through ...?"). Closed: verb first ("Do you use SAP?", "Haben Sie
...?") or any other sentence ending in "?". Without a "?" a sentence still asks when it opens
like a question: a W-word followed by a verb (not "What we need is ...") or an auxiliary followed
by a subject ("Do you ...", "Haben Sie ..."), or an open request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from praesent.core.facts import Utterance
from praesent.core.lexicon import (
    AUXILIARIES,
    FILLERS,
    GREETINGS,
    OPEN_REQUESTS,
    OPEN_WORDS,
    REQUEST_FRAMES,
    STATEMENT_AFTER_W,
    SUBJECTS,
    is_backchannel,
    question_language,
    tokens,
)

QuestionKind = Literal["open", "closed"]
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
_CLAUSE = re.compile(r"[,;:\u2013\u2014]")


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    sample: int


def _strip_fillers(words: list[str], lang: str) -> list[str]:
    i = 0
    while i < len(words) - 1 and words[i] in FILLERS[lang]:
        i += 1
    return words[i:]


def _starts_with(words: list[str], phrases: frozenset[tuple[str, ...]]) -> int:
    """Length of the phrase of ``phrases`` that ``words`` starts with, or 0."""
    for n in range(min(4, len(words)), 0, -1):
        if tuple(words[:n]) in phrases:
            return n
    return 0


def _open_request(words: list[str], lang: str, asked: bool) -> bool:
    rest = words
    framed = False
    while (n := _starts_with(rest, REQUEST_FRAMES[lang])) > 0:
        rest, framed = rest[n:], True
    if _starts_with(rest, OPEN_REQUESTS[lang]):
        return True
    # "Could you maybe describe ...?": with a frame and a "?", a request word a little later.
    if framed and asked:
        return any(_starts_with(rest[i:], OPEN_REQUESTS[lang]) for i in range(min(3, len(rest))))
    return False


def _clause_kind(words: list[str], lang: str, asked: bool) -> QuestionKind | None:
    words = _strip_fillers(words, lang)
    if not words:
        return None
    first = words[0]
    # "What we need is ..." states; "What do you need" asks.
    if first in OPEN_WORDS[lang] and (
        asked or (len(words) > 1 and words[1] not in STATEMENT_AFTER_W[lang])
    ):
        return "open"
    if _open_request(words, lang, asked):
        return "open"
    if first in AUXILIARIES[lang] and (asked or (len(words) > 1 and words[1] in SUBJECTS[lang])):
        return "closed"
    return None


def classify(sentence: str, language: str = "en") -> QuestionKind | None:
    """The kind of question: "open", "closed", or None when the sentence does not ask."""
    lang = question_language(language)
    asked = sentence.rstrip().endswith("?")
    clauses = [tokens(c) for c in _CLAUSE.split(sentence)]
    clauses = [c for c in clauses if c]
    if not clauses:
        return None
    words = [w for c in clauses for w in c]
    if all(w in GREETINGS for w in words) or is_backchannel(words):
        return None  # "Hello?", "Mhm?", "Right?": contact, not a question
    kind = _clause_kind(clauses[0], lang, asked)
    if kind is not None:
        return kind
    if asked:
        # "Pricing, what do you think?" asks openly in a later clause; "..., right?" is closed.
        later = [_clause_kind(c, lang, True) for c in clauses[1:]]
        return "open" if "open" in later else "closed"
    return None


def sentences(utterance: Utterance) -> list[Sentence]:
    """The utterance's sentences with the sample where each starts (from word times if any)."""
    if utterance.words:
        out: list[Sentence] = []
        current: list[str] = []
        start = utterance.start_sample
        for word in utterance.words:
            text = word.text.strip()
            if not text:
                continue
            if not current:
                start = word.start_sample
            current.append(text)
            if text[-1] in ".?!":
                out.append(Sentence(" ".join(current), start))
                current = []
        if current:
            out.append(Sentence(" ".join(current), start))
        return out
    parts = [p.strip() for p in _SENTENCE_END.split(utterance.text)]
    return [Sentence(p, utterance.start_sample) for p in parts if p]


def questions(utterance: Utterance, language: str = "en") -> list[tuple[Sentence, QuestionKind]]:
    found: list[tuple[Sentence, QuestionKind]] = []
    for sentence in sentences(utterance):
        kind = classify(sentence.text, language)
        if kind is not None:
            found.append((sentence, kind))
    return found
