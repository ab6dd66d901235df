"""Word lists, German and English: backchannel tokens, misunderstanding phrases, question words.

Backchannel and misunderstanding lists are used for both languages at once (a German call still
says "okay"); question words depend on the language ("was" asks in German, not in English).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
# Keep letters, digits, apostrophes and hyphens inside words; everything else separates.
_TOKEN = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens without punctuation: "Mm-hmm, I see." -> ["mm-hmm", "i", "see"]."""
    return _TOKEN.findall(text.translate(_APOSTROPHES).lower())


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _phrases(lines: Iterable[str]) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(tokens(line)) for line in lines if tokens(line))


# fmt: off
BACKCHANNELS_EN = _phrases(
    [
        "mhm", "mm", "mmm", "hm", "hmm", "mm-hmm", "mm-hm", "mhmm", "uh-huh", "uh huh", "uhhuh",
        "um-hum", "uh-hum", "yeah", "yes", "yep", "yup", "yea", "ya", "okay", "ok", "right",
        "alright", "all right", "sure", "i see", "oh", "ah", "aha", "oh i see", "really",
        "oh really", "wow", "exactly", "true", "that's right", "that's true", "of course",
        "got it", "i know", "absolutely", "cool", "nice", "great", "good", "fine", "indeed",
        "definitely", "totally", "sounds good", "makes sense", "oh wow", "oh okay", "oh yeah",
        "oh no", "gotcha",
    ]
)
BACKCHANNELS_DE = _phrases(
    [
        "ja", "jaja", "ja ja", "jo", "jep", "joa", "mhm", "hm", "hmm", "aha", "ah", "ach",
        "ach so", "achso", "genau", "okay", "ok", "gut", "richtig", "stimmt", "klar",
        "alles klar", "na klar", "natürlich", "verstehe", "ich verstehe", "echt", "wirklich",
        "super", "prima", "schön", "toll", "sicher", "eben", "oh", "ja genau", "sehr gut",
        "ganz genau", "in ordnung", "verstanden", "ah ja", "ach ja", "ja klar", "okay gut",
    ]
)
# fmt: on
BACKCHANNELS = BACKCHANNELS_EN | BACKCHANNELS_DE
_LONGEST_BACKCHANNEL = max(len(p) for p in BACKCHANNELS)


def is_backchannel(words: Sequence[str]) -> bool:
    """Whether the tokens are made of backchannel phrases only ("yeah yeah", "oh I see")."""
    if not words:
        return False
    # reachable[i]: the first i tokens split into backchannel phrases.
    reachable = [True] + [False] * len(words)
    for i in range(len(words)):
        if not reachable[i]:
            continue
        for n in range(1, min(_LONGEST_BACKCHANNEL, len(words) - i) + 1):
            if tuple(words[i : i + n]) in BACKCHANNELS:
                reachable[i + n] = True
    return reachable[-1]


# fmt: off
MISUNDERSTANDINGS = _phrases(
    [
        # English
        "what do you mean", "what does that mean", "what did you mean", "i don't understand",
        "i do not understand", "i didn't understand", "i didn't get that", "i didn't catch that",
        "i did not get that", "i don't get it", "i don't follow", "i'm not sure i follow",
        "i'm not following", "i'm confused", "i'm lost", "could you repeat", "can you repeat",
        "could you say that again", "can you say that again", "say that again", "come again",
        "pardon", "what was that", "not sure what you mean",
        # German
        "wie meinen sie das", "wie meinst du das", "was meinen sie", "was meinst du",
        "das verstehe ich nicht", "ich verstehe nicht", "ich verstehe das nicht",
        "verstehe ich nicht", "versteh ich nicht", "wie bitte", "können sie das wiederholen",
        "könnten sie das wiederholen", "kannst du das wiederholen", "noch einmal bitte",
        "nochmal bitte", "das habe ich nicht verstanden", "hab ich nicht verstanden",
        "ich habe sie nicht verstanden", "ich komme nicht mit", "was heißt das",
        "was bedeutet das", "wie war das",
    ]
)
# fmt: on


def find_phrase(words: Sequence[str], phrases: frozenset[tuple[str, ...]]) -> str | None:
    """The first phrase of ``phrases`` that occurs in ``words`` as a contiguous run."""
    longest = max(len(p) for p in phrases)
    for i in range(len(words)):
        for n in range(min(longest, len(words) - i), 0, -1):
            candidate = tuple(words[i : i + n])
            if candidate in phrases:
                return " ".join(candidate)
    return None


# Questions. Open: W-questions and requests to tell; closed: verb first.
OPEN_WORDS = {
    "de": _words(
        "was wie warum wieso weshalb welche welcher welches welchen welchem wozu wo wann wer "
        "wen wem wessen womit wofür worüber woran worauf wodurch wohin woher inwiefern "
        "inwieweit wieviel wieviele"
    ),
    "en": _words("what how why which where when who whom whose"),
}
# fmt: off
OPEN_REQUESTS = {
    "de": _phrases(
        [
            "erzählen sie", "erzähl mir", "erzähl mal", "erzählen sie mal", "erzählen",
            "beschreiben sie", "beschreib", "beschreiben", "erklären sie", "erklär mir",
            "erläutern sie", "erläutern", "schildern sie", "schildern", "berichten sie",
        ]
    ),
    "en": _phrases(
        [
            "tell me", "tell us", "describe", "walk me through", "walk us through", "explain",
            "talk me through", "help me understand", "give me an example", "elaborate",
        ]
    ),
}
# fmt: on
AUXILIARIES = {
    "de": _words(
        "ist sind war waren bist seid hat haben hast habt hatte hatten kann können kannst "
        "könnt könnte könnten könntest würde würden würdest wird werden wirst soll sollen "
        "sollte sollten darf dürfen dürfte muss müssen gibt gab möchten möchtest wollen willst "
        "will wollten nutzen nutzt verwenden arbeiten planen brauchen passt geht läuft stimmt "
        "kennen kennst wissen weißt meinen glauben denken sehen haben"
    ),
    "en": _words(
        "is are was were am do does did can could would will should shall have has had may "
        "might must isn't aren't wasn't weren't don't doesn't didn't can't couldn't won't "
        "wouldn't shouldn't haven't hasn't"
    ),
}
SUBJECTS = {
    "de": _words("sie du ihr es wir man er das der die dies diese dieser ihnen ihre ihr euch"),
    "en": _words(
        "you we i they he she it there this that these those your our the a an anyone "
        "anybody everyone someone any"
    ),
}
# After a W-word, these mean a statement: "Was wir brauchen ...", "Wie Sie wissen ...".
STATEMENT_AFTER_W = {
    "de": _words("ich wir er sie es man du ihr immer auch schon gesagt"),
    "en": _words("i we he she they you it"),
}
# Words that open a sentence without changing what it asks: "So, what ...", "Und wie ...".
FILLERS = {
    "de": _words("und also aber ja na nun ok okay gut äh ähm dann so jetzt genau ach oder"),
    "en": _words("so and but well okay ok oh uh um now then also right alright or"),
}
GREETINGS = _words("hello hi hey hallo servus moin bye goodbye tschüss ciao")
# Polite frames before an open request: "Could you tell me ...", "Können Sie beschreiben ...".
REQUEST_FRAMES = {
    "de": _phrases(["können sie", "könnten sie", "kannst du", "würden sie", "bitte", "mal"]),
    "en": _phrases(["can you", "could you", "would you", "will you", "please", "would you mind"]),
}


def question_language(language: str) -> str:
    """The word lists to use: German for German, English for everything else."""
    return "de" if language.lower().split("-")[0].split("_")[0] == "de" else "en"
