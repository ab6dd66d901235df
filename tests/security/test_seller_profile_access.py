"""#22 item 8: an upload's ``seller`` (the voice profile a one-channel call is compared with)
is the caller's own on a server with accounts, as on /v1/voice-profiles. A seller of team B
naming team A's seller got ``profile_similarity`` against A's voice, and a name without a
profile answered 422 while one with a profile did not: who has a profile leaked. Now another
person's profile answers exactly as a missing one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from praesent.store import EventStore
from praesent.team.accounts import create_user_with_token
from tests.live_server import ServerProcess
from tests.speakers.calls import speaker_clip

People = dict[str, tuple[str, str]]  # email: (user id, token)


@pytest.fixture(scope="module")
def server_and_people(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, People]]:
    folder = tmp_path_factory.mktemp("seller-profiles")
    people: People = {}
    with EventStore(f"sqlite:///{folder / 'praesent.db'}") as store:
        store.migrate()
        for email, team in (("ann@example.com", "Team A"), ("bob@example.com", "Team B")):
            store.people.create_team(team)
            user, issued = create_user_with_token(store.people, email, "seller", [team])
            people[email] = (user.id, issued.token)
    process = ServerProcess(folder).start()
    yield process, people
    process.stop()


def _post(server: ServerProcess, path: str, token: str, clip: Path, **form: str) -> httpx.Response:
    with clip.open("rb") as handle:
        return httpx.post(
            f"{server.http}{path}",
            files={"file": ("call.wav", handle, "audio/wav")},
            data=form,
            headers={"Authorization": f"Bearer {token}"},
            timeout=300,
        )


def test_seller_profile_is_the_callers_own(
    server_and_people: tuple[ServerProcess, People], tmp_path: Path
) -> None:
    server, people = server_and_people
    ann_id, ann_token = people["ann@example.com"]
    _bob_id, bob_token = people["bob@example.com"]
    clip = speaker_clip(tmp_path, "speaker90", "ann.wav")
    enrolled = _post(server, "/v1/voice-profiles/ann@example.com", ann_token, clip)
    assert enrolled.status_code == 200, enrolled.text

    for path in ("/v1/jobs", "/v1/analyses"):
        missing = _post(server, path, bob_token, clip, mono="true", seller="nobody@example.com")
        assert missing.status_code == 422, missing.text
        for ann in (ann_id, "ann@example.com"):
            theirs = _post(server, path, bob_token, clip, mono="true", seller=ann)
            assert theirs.status_code == 422, (path, theirs.status_code, theirs.text[:300])
            assert "profile_similarity" not in theirs.text
            # The same answer as for a name without a profile, the name aside.
            answer = theirs.json()["error"]
            expected = missing.json()["error"]
            assert answer["code"] == expected["code"]
            assert answer["message"].replace(ann, "X") == expected["message"].replace(
                "nobody@example.com", "X"
            )
    # Ann's own profile passes the check (then: no queue on this server, 503).
    own = _post(server, "/v1/jobs", ann_token, clip, mono="true", seller="ann@example.com")
    assert own.status_code == 503, own.text
