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
