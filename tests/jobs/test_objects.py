"""The object store's two backends: a local directory, and an S3-compatible server (moto's, in
its own process on 127.0.0.1) through boto3."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest

from praesent.jobs.objects import LocalObjects, ObjectStore, ObjectStoreError, S3Objects
from praesent.settings import Settings
from tests.live_server import free_port
from tests.support import shared


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the S3 server did not start"
                time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=30)


def _round_trip(objects: ObjectStore, tmp_path: Path) -> None:
    recording = shared("en-stereo-2ch/stereo_diarization.wav")
    objects.put("job-1.wav", recording)
    fetched = tmp_path / "fetched.wav"
    objects.get("job-1.wav", fetched)
    assert fetched.read_bytes() == recording.read_bytes()
    objects.delete("job-1.wav")
    objects.delete("job-1.wav")  # a second delete (a job delivered twice) is no error
    with pytest.raises(ObjectStoreError):
        objects.get("job-1.wav", tmp_path / "gone.wav")


def test_local_directory(tmp_path: Path) -> None:
    objects = LocalObjects(tmp_path / "uploads")
    _round_trip(objects, tmp_path)
    assert list((tmp_path / "uploads").iterdir()) == []
    with pytest.raises(ValueError, match="leaves the store"):
        objects.put("../outside.wav", shared("en-stereo-2ch/stereo_diarization.wav"))


def test_s3_compatible_server(s3_endpoint: str, tmp_path: Path) -> None:
    settings = Settings(
        s3_bucket="praesent-uploads",
        s3_endpoint_url=s3_endpoint,
        s3_region="us-east-1",
        s3_access_key_id="test",
        s3_secret_access_key="test",
    )
    objects = S3Objects.from_settings(settings)
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket="praesent-uploads")
    _round_trip(objects, tmp_path)
    listed = objects._client.list_objects_v2(Bucket="praesent-uploads")
    assert listed.get("KeyCount") == 0
