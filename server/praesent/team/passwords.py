"""Whether a new password may be chosen, as NIST SP 800-63B (5.1.1.2) asks of a memorized
secret: long enough; not one of the most common passwords (zxcvbn's list of 30,000 from breach
corpuses, shipped in the package, so nothing is looked up online); not made of repeated or
sequential characters or a keyboard run; not the name of the service nor the user's own email
address or name; and no composition rules (no demand for digits or symbols: length is what
counts). Each refusal says why, in one line."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from zxcvbn.frequency_lists import FREQUENCY_LISTS

PASSWORD_MIN = 10
PASSWORD_MAX = 1024
# Runs people type instead of a password: the alphabet, digits, keyboard rows and columns
# (QWERTY and QWERTZ), each also backwards.
_RUNS = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "1qay2wsx3edc4rfv5tgb6zhn7ujm8ik9ol0p",
    "qazwsxedcrfvtgbyhnujmikolp",
    "!@#$%^&*()",
    "1q2w3e4r5t6y7u8i9o0p",
    "1q2w3e4r5t6z7u8i9o0p",
)
_SERVICE = ("praesent",)
_FEWEST_DISTINCT = 4
_WORD = re.compile(r"[^\W_]{3,}")


@functools.cache
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def _is_common(folded: str) -> bool:
    """A common password as it is, or with digits or symbols added at its end ("password12",
    "iloveyou2026!"), the usual way to stretch one to a length rule."""
    return folded in _common() or folded.rstrip("0123456789!?.#*-_ ") in _common()


def _in_a_run(text: str) -> bool:
    """The whole text is a short unit repeated ("1212121212", "abcabcabca") or a stretch of
    one of the runs, either way."""
    for n in range(1, min(4, len(text) - 1) + 1):
        if text == (text[:n] * (len(text) // n + 1))[: len(text)]:
            return True
    return any(text in run or text in run[::-1] for run in _RUNS)


def context_words(email: str) -> list[str]:
    """The words of an email address a password must not contain: the address, the name
    before the @ and its parts ("ada.lovelace" -> "ada", "lovelace"), the domain's name."""
    email = email.strip().casefold()
    local, _, domain = email.partition("@")
    words = [email, local, *_WORD.findall(local), domain.split(".")[0]]
    return sorted({w for w in words if len(w) >= 4}, key=len, reverse=True)


def password_problem(password: str, context: Iterable[str] = ()) -> str | None:
    """Why a new password is refused, or None. ``context``: the user's email address and
    names."""
    if len(password) < PASSWORD_MIN:
        return f"a password needs at least {PASSWORD_MIN} characters (a few words make a good one)"
    if len(password) > PASSWORD_MAX:
        return f"a password has at most {PASSWORD_MAX} characters"
    folded = password.casefold()
    if len(set(folded)) < _FEWEST_DISTINCT:
        return "this password repeats a few characters; choose one that is harder to guess"
    if _in_a_run(folded.replace(" ", "")):
        return "this password is a sequence or a keyboard run; choose one that is harder to guess"
    if _is_common(folded):
        return "this is one of the most common passwords; choose one that is harder to guess"
    words = [w for text in context for w in context_words(text)]
    for word in [*words, *_SERVICE]:
        if word in folded:
            return "a password may not contain your email address, your name or the service's"
    return None
