"""Where uploads wait for a worker: one small interface, a local directory by default and an
S3-compatible bucket (boto3) when several machines share the work."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from praesent.errors import PraesentError
from praesent.settings import Settings


class ObjectStoreError(PraesentError):
    """The object store cannot be reached or refused an operation (a passing problem)."""

    code = "object_store_unavailable"


class ObjectStore(Protocol):
    def put(self, key: str, source: Path) -> None: ...

    def get(self, key: str, target: Path) -> None: ...

    def delete(self, key: str) -> None:
        """Remove the object; a missing one is no error (a job may delete twice)."""


class LocalObjects:
    """Objects as files under one directory (a directory every process on the machine sees)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"object key {key!r} leaves the store")
        return path

    def put(self, key: str, source: Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(source, partial)
        partial.replace(target)  # a reader never sees half a file

    def get(self, key: str, target: Path) -> None:
        try:
            shutil.copyfile(self._path(key), target)
        except FileNotFoundError as exc:
            raise ObjectStoreError(f"the upload {key} is not in the store") from exc

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Objects:
    """Objects in a bucket of an S3-compatible store (AWS, MinIO, Ceph, ...)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Objects:
        import boto3

        assert settings.s3_bucket is not None
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=settings.s3_secret_access_key,
        )
        return cls(client, settings.s3_bucket, settings.s3_prefix)

    def put(self, key: str, source: Path) -> None:
        with self._errors(key):
            self._client.upload_file(str(source), self.bucket, self.prefix + key)

    def get(self, key: str, target: Path) -> None:
        with self._errors(key):
            self._client.download_file(self.bucket, self.prefix + key, str(target))

    def delete(self, key: str) -> None:
        with self._errors(key):
            self._client.delete_object(Bucket=self.bucket, Key=self.prefix + key)

    @staticmethod
    @contextmanager
    def _errors(key: str) -> Iterator[None]:
        """botocore's errors as ObjectStoreError; the driver's text stays in the chained cause."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError) as exc:
            raise ObjectStoreError(f"the object store failed on {key}") from exc


def open_objects(settings: Settings) -> ObjectStore:
    if settings.s3_bucket is not None:
        return S3Objects.from_settings(settings)
    return LocalObjects(settings.effective_uploads_dir)
