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


# Topics. Stop words (German and English together: calls mix them) carry no topic; they never
# start or end a key phrase and do not count for lexical cohesion.
STOP_WORDS = _words(
    # English
    "a about above after again against all also am an and any are aren't as at be because been "
    "before being below between both but by can can't cannot could couldn't did didn't do does "
    "doesn't doing don't down during each even ever every few for from further get gets getting "
    "got had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers "
    "herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its "
    "itself just know let let's like lot lots may me might more most much must mustn't my myself "
    "need no nor not now of off on once one only or other ought our ours ourselves out over own "
    "pretty quite rather really said same say says see shall shan't she she'd she'll she's "
    "should shouldn't so some something still such than that that's the their theirs them "
    "themselves then there there's these they they'd they'll they're they've thing things "
    "think this those though through to too under until up upon us very via want was wasn't "
    "way we we'd we'll we're we've well were weren't what what's when when's where where's "
    "whether which while who who's whom why why's will with won't would wouldn't yes yet you "
    "you'd you'll you're you've your yours yourself yourselves "
    "um uh er erm hmm mhm mm uh-huh mm-hmm yeah yep okay ok oh ah right sure gonna wanna kind "
    "sort actually basically maybe probably anyway thank thanks please hello hi bye "
    # German
    "aber alle allem allen aller alles als also am an ander andere anderem anderen anderer "
    "anderes auch auf aus bei beim bin bis bist da dabei dadurch dafür dagegen daher damit "
    "danach dann daran darauf darum das dass dazu dein deine dem den denn der des deshalb "
    "dessen dich die dies diese diesem diesen dieser dieses dir doch dort du durch ein eine "
    "einem einen einer eines einfach einige einmal er es etwa etwas euch euer eure für gab "
    "ganz gar gegen gehabt geht gerade gewesen gibt habe haben hat hatte hatten hier hin "
    "hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im immer in ins ist ja jede jedem "
    "jeden jeder jedes jetzt kann kannst kein keine keinem keinen keiner können könnte man "
    "manche mehr mein meine meinem meinen meiner mich mir mit muss müssen nach natürlich "
    "nein nicht nichts noch nun nur ob oder ohne schon sehr sein seine seinem seinen seiner "
    "selbst sich sie sind so solche soll sollte sondern sonst über um und uns unser unsere "
    "unter viel vom von vor war waren warst was weil weiter welche welchem welchen welcher "
    "welches wenn wer werde werden wie wieder will wir wird wirklich wo wollen worden wurde "
    "wurden würde würden zu zum zur zwar zwischen "
    "äh ähm öh hm genau okay gut klar mal halt eben eigentlich irgendwie sozusagen bitte "
    "danke hallo tschüss wissen sagen sagt gesagt bevor nachdem während sowie oft meistens "
    "häufig manchmal sehr wirklich ziemlich dabei gerne"
)
# Words dropped from summary lines: hesitations and openers that carry nothing.
DISFLUENCIES = _words("um uh er erm uhm hmm mhm mm äh ähm öh hm")
LINE_OPENERS = _words(
    "and but so well because or also anyway yeah yes oh okay ok right "
    "und aber also ja naja na nun gut genau okay ok oder denn dann"
)
# Cue phrases that open a new topic, by family (the boundary is where the utterance starts).
# fmt: off
TOPIC_CUE_PHRASES: dict[str, frozenset[tuple[str, ...]]] = {
    # "moving on" / "kommen wir zu": the seller moves the call along
    "move_on": _phrases(
        [
            "moving on", "move on", "let's move on", "moving along", "turning to",
            "let's turn to", "switching to", "on another note", "changing the subject",
            "kommen wir zu", "kommen wir zum", "kommen wir zur", "kommen wir jetzt zu",
            "kommen wir nun zu", "gehen wir zu",
            "gehen wir weiter", "machen wir weiter mit", "weiter zu", "wechseln wir zu",
            "themawechsel", "anderes thema",
        ]
    ),
    # "next question" / "noch eine Frage": a new question opens a new topic
    "question": _phrases(
        [
            "next question", "another question", "one more question", "a different question",
            "i have a question about", "my next question",
            "noch eine frage", "nächste frage", "eine andere frage", "eine weitere frage",
            "meine nächste frage", "ich hätte noch eine frage",
        ]
    ),
    # "let's talk about" / "sprechen wir über": the speaker names the new topic
    "talk_about": _phrases(
        [
            "let's talk about", "let us talk about", "i'd like to talk about",
            "i want to talk about", "let's discuss", "let's look at", "let's get to",
            "sprechen wir über", "reden wir über", "lassen sie uns über", "lass uns über",
            "ich möchte über", "schauen wir uns", "kommen wir auf",
        ]
    ),
    # "next point" / "nächster Punkt": an agenda item
    "next_point": _phrases(
        [
            "next point", "next topic", "next item", "the next thing", "next on the agenda",
            "nächster punkt", "nächster tagesordnungspunkt", "zum nächsten punkt",
            "zum nächsten thema", "nächstes thema", "zum nächsten tagesordnungspunkt",
            "der nächste punkt", "das nächste thema",
        ]
    ),
}
# fmt: on
