"""Uploaded files: the size limit, the copy to disk, and the form of a recording to analyse
(POST /v1/analyses and POST /v1/jobs: the options of `praesent analyze`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile

from praesent.analysis import ChannelRole, parse_channels
from praesent.api.state import AppState, app_state
from praesent.errors import InputError, TooLargeError
from praesent.settings import Settings
from praesent.speakers.attribution import SpeakerAttribution
from praesent.speakers.profiles import NoProfileError
from praesent.speakers.setup import speaker_attribution
from praesent.store import UserRecord
from praesent.team.access import Principal

_COPY_CHUNK = 1 << 20


def limit_bytes(state: AppState) -> int:
    return state.settings.max_upload_mb * 1024 * 1024


def check_declared_size(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise TooLargeError(f"the upload is over the limit of {limit // (1024 * 1024)} MB")


def check_filename(upload: UploadFile) -> None:
    """The upload's file name may be used in a path and is stored with a job: a NUL in it is
    refused as invalid input (422), as PostgreSQL and the file system would refuse it later
    (#22 item 16)."""
    if "\0" in (upload.filename or ""):
        raise InputError("the file name contains a NUL character")


async def save(upload: UploadFile, target: Path, limit: int) -> None:
    written = 0
    with target.open("wb") as out:
        while chunk := await upload.read(_COPY_CHUNK):
            written += len(chunk)
            if written > limit:
                raise TooLargeError(f"the upload is over the limit of {limit // (1024 * 1024)} MB")
            out.write(chunk)


def own_profile_ids(user: UserRecord) -> tuple[str, str]:
    """The voice-profile ids that are a user's own: their id and their email."""
    return (user.id, user.email)


@dataclass(frozen=True, slots=True)
class AnalysisUpload:
    """A recording to analyse, its declared size within ``limit`` and its channels parsed."""

    file: UploadFile
    limit: int
    roles: tuple[ChannelRole, ...]
    channels: str
    mono: bool
    language: str | None
    seller: str | None
    seller_speaker: str
    speakers: int | None
    diarizer: str | None

    def check_seller(self, principal: Principal) -> None:
        """With accounts, ``seller`` names the caller's own voice profile (their id or email),
        as on /v1/voice-profiles; another person's answers exactly as one that does not exist
        (422), so nobody learns who has a profile or is compared against one. On a laptop
        without accounts every profile is the owner's."""
        user, seller = principal.user, self.seller
        if user is not None and seller is not None and seller not in own_profile_ids(user):
            raise NoProfileError(seller)

    def attribution(self, settings: Settings) -> Callable[[], SpeakerAttribution] | None:
        """A one-channel call's speaker attribution, its options checked (blocking: it loads
        the speaker models); None for a call by channels or with attribution turned off."""
        if not self.mono:
            return None
        return speaker_attribution(
            settings,
            diarizer=self.diarizer,
            seller_id=self.seller,
            seller_rule=self.seller_speaker,
            num_speakers=self.speakers,
        )

    def options(self) -> dict[str, Any]:
        """The options as given, as a job keeps them for its worker."""
        return {
            "channels": self.channels,
            "mono": self.mono,
            "language": self.language,
            "seller": self.seller,
            "seller_speaker": self.seller_speaker,
            "speakers": self.speakers,
            "diarizer": self.diarizer,
        }


async def analysis_upload(
    request: Request,
    file: Annotated[
        UploadFile, File(description="The recording", json_schema_extra={"minLength": 1})
    ],
    channels: Annotated[str, Form()] = "seller,customer",
    mono: Annotated[bool, Form()] = False,
    language: Annotated[
        str | None, Form(description="auto, de, en; default: your setting, else the server's")
    ] = None,
    seller: Annotated[str | None, Form(description="mono: the seller's voice profile")] = None,
    seller_speaker: Annotated[str, Form(description="mono: first, most or S2")] = "first",
    speakers: Annotated[int | None, Form(description="mono: how many speakers")] = None,
    diarizer: Annotated[str | None, Form(description="mono: embedded, pyannote, none")] = None,
) -> AnalysisUpload:
    """The dependency that reads the form of a recording to analyse."""
    limit = limit_bytes(app_state(request))
    check_declared_size(request, limit)
    check_filename(file)
    return AnalysisUpload(
        file=file,
        limit=limit,
        roles=() if mono else parse_channels(channels),
        channels=channels,
        mono=mono,
        language=language,
        seller=seller,
        seller_speaker=seller_speaker,
        speakers=speakers,
        diarizer=diarizer,
    )
