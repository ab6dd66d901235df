"""Every threshold of the coaching spec, grouped in small option dataclasses; units in the names.

Defaults follow ../shared/DESIGN.md ("The coaching spec", "Cues") and say where a figure comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ActivityOptions:
    # Gaps shorter than this do not end speech (typical gap between turns ~200 ms; Stivers et al.
    # 2009). Voice activity bridges them upstream; reference_facts merges RTTM turns with it.
    min_gap_ms: int = 150


@dataclass(frozen=True, slots=True)
class TurnOptions:
    # A holder's pause shorter than this keeps the floor when the other only makes a short sound;
    # once the holder has been silent this long, anything the other says takes the floor.
    turn_hold_ms: int = 1000
    # Two starts this close are simultaneous: nobody interrupted anybody.
    simultaneous_start_ms: int = 200


@dataclass(frozen=True, slots=True)
class OverlapOptions:
    # A backchannel: at most ~1 s of speech (or ~2 words) and the speaker carries on.
    backchannel_max_ms: int = 1000
    backchannel_max_words: int = 2
    # An interrupter speaks longer than this (and longer than a backchannel).
    interruption_min_ms: int = 1000
    # ...and the interrupted side stops within this long after the interrupter's start.
    yield_within_ms: int = 1500
    # If the other stops within this long after one's start, they were finishing: an early start.
    early_start_ms: int = 300
    # The interrupted side "recovered" when it holds the floor again within this long.
    recovered_within_s: float = 10.0
    # Words this close to a contribution's edges belong to it (word timestamps are approximate).
    word_tolerance_ms: int = 200
    # How long (audio time) a timed decision waits for a transcript to confirm or overturn it.
    transcript_wait_s: float = 60.0


@dataclass(frozen=True, slots=True)
class BalanceOptions:
    balance_every_ms: int = 1000
    # The live gauge's sliding window: the last 5 minutes.
    balance_window_s: float = 300.0


@dataclass(frozen=True, slots=True)
class MeasureOptions:
    # Longest monologue and customer story go into the report; counts over these thresholds too.
    monologue_cue_s: float = 60.0
    customer_story_s: float = 20.0
    # A short answer: a customer turn after a seller turn with at most this many words...
    short_answer_max_words: int = 2
    # ...and at most this much speech (longer turns need no transcript to be called long).
    short_answer_max_s: float = 3.0


@dataclass(frozen=True, slots=True)
class CueOptions:
    # The cue budget: one cue per ~20 s, the same cue at most every ~2 min.
    cue_min_interval_s: float = 20.0
    same_cue_interval_s: float = 120.0
    # A cue not about the seller's own speech waits this long for the seller to fall silent.
    cue_wait_s: float = 10.0
    # listen: the customer has held the floor this long, and no seller backchannel for this long.
    listen_after_s: float = 30.0
    listen_quiet_s: float = 20.0
    # deepen: a customer turn of at least this long ends.
    deepen_after_s: float = 20.0
    # balance: seller share over the window above this (top performers talk ~43 %, Gong Labs),
    # once the window holds enough speech to judge.
    balance_share_max: float = 0.65
    balance_min_talk_s: float = 60.0
    # short answers: this many answers in a row are short.
    short_answers_in_row: int = 3
    # Acted on: a seller backchannel within ~10 s of "listen", a question within ~30 s of
    # "deepen"/"balance"/"short_answers", the floor changing within this long of "let_finish"/
    # "monologue"/"clarify", the call page focused again within this long of "stay_present".
    listen_outcome_s: float = 10.0
    question_outcome_s: float = 30.0
    floor_outcome_s: float = 15.0
    focus_outcome_s: float = 10.0
    # Extra audio time an outcome waits for late decisions and transcripts before it says "no".
    outcome_grace_s: float = 10.0


@dataclass(frozen=True, slots=True)
class TopicOptions:
    # A topic shorter than this (audio time from its first utterance) takes no boundary: very
    # short topics merge into their neighbours; a last topic this short joins the one before.
    topic_min_s: float = 20.0
    # Silence of both roles at least this long before an utterance starts a new topic.
    topic_pause_s: float = 5.0
    # A cue phrase ("moving on", "nächster Punkt") opens a topic when it starts within this many
    # words of its utterance's start.
    cue_phrase_max_offset_words: int = 6
    # Lexical cohesion: TF-IDF cosine between the current topic's last ``cohesion_left_words``
    # content words before an utterance and the first ``cohesion_right_words`` from it. The
    # boundary is decided once the right window is full (live: a few seconds of speech).
    cohesion_left_words: int = 30
    cohesion_min_left_words: int = 10
    cohesion_right_words: int = 10
    # A boundary where the cosine is at most this; where the floor does not change at the
    # utterance (the same role carries on), at most the stricter value.
    cohesion_max: float = 0.08
    cohesion_max_same_role: float = 0.03
    # Early decision, live: once the right window holds ``cohesion_early_right_words`` content
    # words that share none with the left window (cosine at most ``cohesion_early_max``), the
    # boundary is taken without waiting for the full window (a new topic's opening question
    # usually suffices). The stricter test keeps false boundaries rare.
    cohesion_early_right_words: int = 4
    cohesion_early_max: float = 0.0
    # Summaries: at most this many lines of at most this many words; one line per this many
    # content words the customer spoke in the topic.
    summary_max_lines: int = 3
    summary_line_max_words: int = 12
    summary_content_words_per_line: int = 25
    key_phrases: int = 3
    key_phrase_max_words: int = 3


@dataclass(frozen=True, slots=True)
class CoreOptions:
    activity: ActivityOptions = field(default_factory=ActivityOptions)
    turns: TurnOptions = field(default_factory=TurnOptions)
    overlaps: OverlapOptions = field(default_factory=OverlapOptions)
    balance: BalanceOptions = field(default_factory=BalanceOptions)
    measures: MeasureOptions = field(default_factory=MeasureOptions)
    cues: CueOptions = field(default_factory=CueOptions)
    topics: TopicOptions = field(default_factory=TopicOptions)
