"""``praesent eval``: score a run (the JSON of ``praesent analyze``) against reference files: RTTM
turns (talk time, share, and the interruptions and backchannels the same core derives from them),
an STM transcript (word error rate) and, where roles come from attribution, the diarization error.
"""

from praesent.evaluation.references import (
    ReferenceFileError,
    RttmTurn,
    StmSegment,
    parse_roles,
    parse_rttm,
    parse_stm,
    reference_facts,
    stm_roles,
)
from praesent.evaluation.runs import run_document
from praesent.evaluation.scoring import EvalScores, MatchScore, match_events, run_eval

__all__ = [
    "EvalScores",
    "MatchScore",
    "ReferenceFileError",
    "RttmTurn",
    "StmSegment",
    "match_events",
    "parse_roles",
    "parse_rttm",
    "parse_stm",
    "reference_facts",
    "run_document",
    "run_eval",
    "stm_roles",
]
