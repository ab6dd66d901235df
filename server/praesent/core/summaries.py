"""Extractive summaries, key phrases and the deepening question: pure functions of transcript text.

Nothing here invents a word. Key phrases are runs of words as spoken; summary lines are the
customer's most central sentences with hesitations and openers dropped and, where too long, cut
to their weightiest stretch; the deepening question wraps a key phrase of the customer's turn in a
fixed frame in the call's language. So every word of a summary line is a word the customer spoke
in that topic (the tests check it on every summary they make).

Weights are TF-IDF: a term's frequency in the text summarised times its inverse document
frequency over the call's utterances so far (``Idf``), so words the whole call repeats ("price"
in a pricing call) weigh less than what is particular to this stretch. Terms are lower-cased
tokens without stop words (German and English, see ``lexicon.STOP_WORDS``), lightly stemmed so
"rollout"/"rollouts" or "Preis"/"Preise" count as one. Capitalised words inside a sentence
(names, products, German nouns) weigh half again as much, as YAKE's casing feature does.

Key phrases follow YAKE's shape without its dependencies (networkx, jellyfish, segtok): a
candidate is a run of one to ``key_phrase_max_words`` words inside one sentence that starts and
ends with a content word and holds at most one stop word ("rollout in March", "Einführung im
März"); its score is the mean weight of its content words, raised for longer phrases and for
repetition. Chosen phrases share no content term.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from praesent.core.lexicon import DISFLUENCIES, LINE_OPENERS, STOP_WORDS
from praesent.core.options import TopicOptions

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_TOKEN = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
_SUFFIXES = ("ungen", "ung", "ings", "ing", "ern", "en", "er", "es", "ed", "e", "n", "s")
CASE_BONUS = 1.5


def stem(token: str) -> str:
    """A light stem for German and English: one common suffix off, at least four letters kept
    (five after a one-letter suffix, so "preis" stays)."""
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= (4 if len(suffix) > 1 else 5):
            return token[: -len(suffix)]
    return token


def is_content(token: str) -> bool:
    return len(token) > 1 and token not in STOP_WORDS and not token.isdigit()


def content_terms(tokens: Iterable[str]) -> list[str]:
    """The stemmed content terms of lower-cased tokens."""
    return [stem(t) for t in tokens if is_content(t)]


@dataclass(frozen=True, slots=True)
class Word:
    """A token as spoken: ``surface`` keeps its case, ``key`` is lower-cased."""

    surface: str
    key: str
    capitalised: bool  # capitalised inside a sentence (not its first word)

    @property
    def content(self) -> bool:
        return is_content(self.key)

    @property
    def term(self) -> str:
        return stem(self.key)


Sentence = tuple[Word, ...]


def sentences(text: str) -> list[Sentence]:
    """The sentences of a text as words (punctuation dropped, case kept)."""
    out: list[Sentence] = []
    for part in _SENTENCE_END.split(text.translate(_APOSTROPHES)):
        found = _TOKEN.findall(part)
        words = tuple(
            Word(w, w.lower(), i > 0 and w[:1].isupper() and w.lower() != "i")
            for i, w in enumerate(found)
        )
        if words:
            out.append(words)
    return out


class Idf:
    """Inverse document frequency over documents (utterances) seen so far; smoothed."""

    __slots__ = ("_df", "_n")

    def __init__(self) -> None:
        self._df: Counter[str] = Counter()
        self._n = 0

    def add(self, terms: Iterable[str]) -> None:
        self._n += 1
        self._df.update(set(terms))

    def __call__(self, term: str) -> float:
        return math.log((self._n + 1) / (self._df[term] + 1)) + 1.0


def weights(texts: Sequence[Sentence], idf: Idf) -> dict[str, float]:
    """Term weights in ``texts``: term frequency times idf, capitalised terms raised."""
    tf: Counter[str] = Counter()
    capital: set[str] = set()
    for sentence in texts:
        for word in sentence:
            if word.content:
                tf[word.term] += 1
                if word.capitalised:
                    capital.add(word.term)
    return {
        term: count * idf(term) * (CASE_BONUS if term in capital else 1.0)
        for term, count in tf.items()
    }


@dataclass(slots=True)
class _Candidate:
    surface: str
    first: int
    terms: tuple[str, ...]
    frequency: int = 1


def key_phrases(texts: Sequence[Sentence], idf: Idf, count: int, max_words: int = 3) -> list[str]:
    """Up to ``count`` key phrases of the sentences, best first, as spoken."""
    w = weights(texts, idf)
    if not w:
        return []
    found: dict[tuple[str, ...], _Candidate] = {}
    for sentence in texts:
        for i, first in enumerate(sentence):
            if not first.content:
                continue
            stops = 0
            for j in range(i, min(len(sentence), i + max_words)):
                word = sentence[j]
                if word.key in DISFLUENCIES:
                    break
                if not word.content:
                    stops += 1
                    if stops > 1:
                        break
                    continue
                run = sentence[i : j + 1]
                keys = tuple(x.key for x in run)
                candidate = found.get(keys)
                if candidate is None:
                    terms = tuple(x.term for x in run if x.content)
                    surface = " ".join(x.surface for x in run)
                    found[keys] = _Candidate(surface, len(found), terms)
                else:
                    candidate.frequency += 1
    scored: list[tuple[float, int, str, frozenset[str]]] = []
    for c in found.values():
        mean = sum(w[t] for t in c.terms) / len(c.terms)
        score = mean * (1.0 + 0.5 * (len(c.terms) - 1)) * math.sqrt(c.frequency)
        scored.append((-score, c.first, c.surface, frozenset(c.terms)))
    scored.sort()
    chosen: list[str] = []
    used: set[str] = set()
    for _, _, surface, term_set in scored:
        if term_set & used:
            continue
        chosen.append(surface)
        used |= term_set
        if len(chosen) == count:
            break
    return chosen


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    if not dot:
        return 0.0
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb)


def cosine(left: Iterable[str], right: Iterable[str], idf: Idf) -> float:
    """TF-IDF cosine between two bags of terms."""
    a: Counter[str] = Counter(left)
    b: Counter[str] = Counter(right)
    return _cosine(
        {t: n * idf(t) for t, n in a.items()},
        {t: n * idf(t) for t, n in b.items()},
    )


def _compress(sentence: Sentence, w: Mapping[str, float], max_words: int) -> str:
    words = [x for x in sentence if x.key not in DISFLUENCIES]
    while words and words[0].key in LINE_OPENERS:
        words.pop(0)
    if len(words) > max_words:
        best, best_at = -1.0, 0
        for start in range(len(words) - max_words + 1):
            window = words[start : start + max_words]
            value = sum(w.get(x.term, 0.0) for x in window if x.content)
            if value > best:
                best, best_at = value, start
        words = words[best_at : best_at + max_words]
        while words and not words[-1].content:
            words.pop()
        while words and not words[0].content and words[0].key in LINE_OPENERS:
            words.pop(0)
    while words and words[-1].key in LINE_OPENERS:
        words.pop()
    return " ".join(x.surface for x in words)


def summary_lines(
    texts: Sequence[Sentence], idf: Idf, options: TopicOptions, phrases: Sequence[str] = ()
) -> list[str]:
    """The customer's most central sentences, one to ``summary_max_lines`` short lines, in the
    order spoken: centrality is the TF-IDF cosine between a sentence and the whole text, raised
    for each key phrase the sentence holds."""
    w = weights(texts, idf)
    total = sum(1 for s in texts for x in s if x.content)
    if not total:
        return []
    lowered = [p.lower() for p in phrases]
    candidates: list[tuple[float, int]] = []
    for index, sentence in enumerate(texts):
        terms = [x.term for x in sentence if x.content]
        if not terms:
            continue
        vector = {t: w[t] for t in terms}
        score = _cosine(vector, w)
        joined = " ".join(x.key for x in sentence)
        score += 0.25 * sum(1 for p in lowered if p in joined)
        score += 0.05 * min(len(set(terms)), 6)  # a line should say something
        candidates.append((-score, index))
    candidates.sort()
    lines_wanted = max(
        1, min(options.summary_max_lines, -(-total // options.summary_content_words_per_line))
    )
    picked = sorted(index for _, index in candidates[:lines_wanted])
    lines: list[str] = []
    for index in picked:
        line = _compress(texts[index], w, options.summary_line_max_words)
        if line and line not in lines:
            lines.append(line)
    return lines


DEEPEN_QUESTIONS = {
    "en": "You mentioned \u201c{phrase}\u201d: can you tell me more?",
    "de": "Sie haben \u201e{phrase}\u201c erwähnt: können Sie das näher erläutern?",
}


def deepen_phrase(texts: Sequence[Sentence], idf: Idf) -> str | None:
    """The customer's main point in ``texts``, in their own words; None when there is none."""
    phrases = key_phrases(texts, idf, 1)
    return phrases[0] if phrases else None


def deepen_question_for(phrase: str, language: str) -> str:
    """The deepening question naming ``phrase``, in ``language`` (German or English)."""
    code = "de" if language.lower().replace("_", "-").split("-")[0] == "de" else "en"
    return DEEPEN_QUESTIONS[code].format(phrase=phrase)


def deepen_question(texts: Sequence[Sentence], idf: Idf, language: str) -> str | None:
    """A question naming the customer's main point in ``texts``, in the call's language; None when
    the text holds no key phrase."""
    phrase = deepen_phrase(texts, idf)
    return None if phrase is None else deepen_question_for(phrase, language)
