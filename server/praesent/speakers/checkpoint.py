"""Read a legacy (pre-1.6, non-zip) PyTorch checkpoint into numpy arrays, without torch.

The format: five pickles (magic number, protocol version, system info, the object with
persistent ids for its storages, the storage keys in file order), then each storage's raw data
preceded by its element count. Only what a ``state_dict`` of float tensors uses is understood.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from praesent.errors import ModelError

_MAGIC = 0x1950A86A20F9469CFC6C
_STORAGE_DTYPES: dict[str, np.dtype[Any]] = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
}


@dataclass(frozen=True, slots=True)
class _StorageRef:
    key: str
    dtype: np.dtype[Any]


@dataclass(frozen=True, slots=True)
class _TensorRef:
    storage: _StorageRef
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(
    storage: _StorageRef, offset: int, shape: tuple[int, ...], stride: tuple[int, ...], *_: Any
) -> _TensorRef:
    return _TensorRef(storage, offset, tuple(shape), tuple(stride))


class _StateDict(dict[str, Any]):
    """Stands in for ``OrderedDict``; takes the ``_metadata`` attribute torch sets on it."""


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return name
        if module == "collections" and name == "OrderedDict":
            return _StateDict
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in the checkpoint")

    def persistent_load(self, pid: Any) -> _StorageRef:
        kind, storage_type, key = pid[0], pid[1], pid[2]
        if kind != "storage" or storage_type not in _STORAGE_DTYPES:
            raise pickle.UnpicklingError(f"unexpected storage {pid!r}")
        return _StorageRef(str(key), _STORAGE_DTYPES[storage_type])


def _read_storages(handle: IO[bytes], keys: list[str], dtypes: dict[str, np.dtype[Any]]) -> Any:
    storages: dict[str, np.ndarray] = {}
    for key in keys:
        count = int(np.frombuffer(handle.read(8), dtype="<i8")[0])
        dtype = dtypes[key]
        data = handle.read(count * dtype.itemsize)
        if len(data) != count * dtype.itemsize:
            raise ModelError("the checkpoint is truncated")
        storages[key] = np.frombuffer(data, dtype=dtype)
    return storages


def _collect(obj: Any, found: dict[str, np.dtype[Any]]) -> None:
    if isinstance(obj, _TensorRef):
        found[obj.storage.key] = obj.storage.dtype
    elif isinstance(obj, dict):
        for value in obj.values():
            _collect(value, found)


def _materialise(obj: Any, storages: dict[str, np.ndarray]) -> Any:
    if isinstance(obj, _TensorRef):
        flat = storages[obj.storage.key]
        itemsize = flat.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[obj.offset :],
            shape=obj.shape,
            strides=tuple(step * itemsize for step in obj.stride),
        )
        return np.array(view, dtype=np.float32)
    if isinstance(obj, dict):
        return {key: _materialise(value, storages) for key, value in obj.items()}
    return obj


def load_legacy_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint's top-level dict, every tensor as a float32 numpy array."""
    try:
        with path.open("rb") as handle:
            if pickle.load(handle) != _MAGIC:
                raise ModelError(f"{path.name} is not a legacy PyTorch checkpoint")
            pickle.load(handle)  # protocol version
            pickle.load(handle)  # system info (endianness, type sizes)
            content = _Unpickler(handle).load()
            keys = [str(key) for key in pickle.load(handle)]
            dtypes: dict[str, np.dtype[Any]] = {}
            _collect(content, dtypes)
            storages = _read_storages(handle, keys, dtypes)
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, ValueError) as error:
        raise ModelError(f"cannot read the checkpoint {path}: {error}") from None
    if not isinstance(content, dict):
        raise ModelError(f"{path.name}: expected a dict at the top of the checkpoint")
    return dict(_materialise(content, storages))
