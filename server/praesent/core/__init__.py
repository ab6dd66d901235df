"""The pure conversation core: timestamped facts in (speech activity per role, transcribed
utterances, ticks of audio time), typed events out (turns, talk balance, interruptions,
backchannels, questions, cues). No I/O, no clock: time is audio time in samples at 16 kHz.
"""

from praesent.core.batch import analyse, analyse_activity, fact_order, facts_from_segments
from praesent.core.conversation import Conversation, CoreError, FactOrderError, FinishedError
from praesent.core.events import Event
from praesent.core.facts import (
    ROLES,
    SAMPLE_RATE,
    Fact,
    FocusChanged,
    Role,
    SpeechStarted,
    SpeechStopped,
    Tick,
    Utterance,
    Word,
)
from praesent.core.options import CoreOptions
from praesent.core.summary import CallSummary, summarise

__all__ = [
    "ROLES",
    "SAMPLE_RATE",
    "CallSummary",
    "Conversation",
    "CoreError",
    "CoreOptions",
    "Event",
    "Fact",
    "FactOrderError",
    "FinishedError",
    "FocusChanged",
    "Role",
    "SpeechStarted",
    "SpeechStopped",
    "Tick",
    "Utterance",
    "Word",
    "analyse",
    "analyse_activity",
    "fact_order",
    "facts_from_segments",
    "summarise",
]
