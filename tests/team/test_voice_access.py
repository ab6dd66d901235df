"""A voice profile is personal on a server with accounts: another user's answers 404."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from praesent.speakers.profiles import open_profiles
from tests.team.world import World


def test_another_users_voice_profile_is_not_reachable(
    team_server: tuple[TestClient, World],
) -> None:
    client, world = team_server
    settings = client.app.state.praesent.settings  # type: ignore[attr-defined]
    ben = world.users["ben"].id
    with open_profiles(settings) as profiles:
        profiles.add_sample(ben, np.ones(256, dtype=np.float32) / 16, 5.0, "enrolment", "test")
    as_ada, as_ben = world.headers("ada"), world.headers("ben")
    assert client.get("/v1/voice-profiles", headers=as_ada).json() == []
    assert [p["seller_id"] for p in client.get("/v1/voice-profiles", headers=as_ben).json()] == [
        ben
    ]
    refused = client.delete(f"/v1/voice-profiles/{ben}", headers=as_ada)
    assert refused.status_code == 404, refused.text
    assert refused.json()["error"]["code"] == "not_found"
    deleted = client.delete(f"/v1/voice-profiles/{ben}", headers=as_ben)
    assert deleted.json()["deleted_samples"] == 1


def test_deleting_a_user_deletes_their_voice_profile(
    team_server: tuple[TestClient, World],
) -> None:
    client, world = team_server
    settings = client.app.state.praesent.settings  # type: ignore[attr-defined]
    vera = world.store.people.create_user("vera@example.com", "seller")
    voice = np.ones(256, dtype=np.float32) / 16
    with open_profiles(settings) as profiles:
        # Kept under the user's id (enrolled on the server) or email (`--seller` on a file).
        profiles.add_sample(vera.id, voice, 5.0, "enrolment", "test")
        profiles.add_sample(vera.email, voice, 30.0, "call", "test")
    assert world.store.people.delete_user(vera.id)
    with open_profiles(settings) as profiles:
        assert profiles.profile(vera.id, "test") is None
        assert profiles.profile(vera.email, "test") is None
        assert all(row[0] not in (vera.id, vera.email) for row in profiles.list_profiles())
