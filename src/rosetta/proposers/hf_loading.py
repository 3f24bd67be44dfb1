"""Loading the transformers models behind the SAM, Whisper and CLIP proposers.

A proposer's ``model`` (``ROSETTA_PROPOSER_MODELS``) is a local directory (as
``save_pretrained`` writes one) or a Hugging Face repo id already in the local Hugging Face
cache (``HF_HUB_CACHE``; ``hf download <repo id>`` puts it there). Nothing is ever
downloaded: the cache is looked up with ``local_files_only=True`` and the models load from
the directory found, again with ``local_files_only=True``. A model that is not there is a
`RosettaError` naming the path or repo id and how to provide it.

torch and transformers are the ``models`` extra (``pip install 'rosetta-annotate[models]'``)
and are imported only inside functions, so this module imports without them. Models run
on CUDA when torch sees a GPU, else on the CPU.
"""

import hashlib
import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from rosetta.core.errors import RosettaError
from rosetta.proposers.spec import ModelInfo

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel

#: The pip requirement that installs the packages the model proposers need.
EXTRA = "rosetta-annotate[models]"

#: The packages the model proposers import.
PACKAGES = ("torch", "transformers")

#: Bytes read at a time while hashing weights.
_CHUNK = 1 << 20

T = TypeVar("T")
M = TypeVar("M", bound="PreTrainedModel")
K = TypeVar("K", bound=Hashable)


def missing_packages() -> str | None:
    """Why the model proposers cannot run for want of a package (``None``: installed)."""
    missing = [name for name in PACKAGES if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return f"{' and '.join(missing)} not installed: pip install '{EXTRA}'"


def unavailable(proposer: str, model: str | None) -> str | None:
    """Why `proposer` cannot run with the configured `model`, without loading anything:
    a package missing, no model configured, or a model that is not there."""
    try:
        resolve(proposer, model)
    except RosettaError as exc:
        return str(exc)
    return None


def resolve(proposer: str, model: str | None) -> tuple[str, Path]:
    """The configured `model` and the local directory it names; a `RosettaError` saying
    why `proposer` cannot run (as `unavailable`) otherwise."""
    missing = missing_packages()
    if missing is not None:
        raise RosettaError(f"{proposer}: {missing}")
    if model is None:
        raise RosettaError(
            f"no model configured for {proposer}: set ROSETTA_PROPOSER_MODELS, e.g. "
            f'{{"{proposer}": "/models/<model folder>"}} (a local folder or a Hugging Face '
            "repo id in the local cache)"
        )
    return model, model_directory(proposer, model)


def model_directory(proposer: str, model: str) -> Path:
    """The local directory `model` names: itself when it is a directory, else the snapshot
    of the Hugging Face repo id `model` in the local cache. A `RosettaError` names what is
    missing and how to provide it."""
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise RosettaError(
                f"{proposer}: model folder {str(path)!r} has no config.json; point "
                "ROSETTA_PROPOSER_MODELS at a folder that save_pretrained wrote"
            )
        return path
    from huggingface_hub import snapshot_download
    from huggingface_hub.constants import HF_HUB_CACHE
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    example = f'{{"{proposer}": "/models/<model folder>"}}'
    try:
        return Path(snapshot_download(model, local_files_only=True))
    except HFValidationError as exc:
        raise RosettaError(
            f"{proposer}: model folder {str(path)!r} does not exist; point "
            f"ROSETTA_PROPOSER_MODELS at a folder that save_pretrained wrote (e.g. {example})"
        ) from exc
    except LocalEntryNotFoundError as exc:
        raise RosettaError(
            f"{proposer}: model {model!r} is neither a local folder nor a repo in the Hugging "
            f"Face cache ({HF_HUB_CACHE}) and nothing is downloaded: run `hf download {model}` "
            "where there is network (then copy the cache here), or set "
            f"ROSETTA_PROPOSER_MODELS to a local folder (e.g. {example})"
        ) from exc


def model_info(model: str, directory: Path) -> ModelInfo:
    """Provenance of the model loaded from `directory`: named as configured (a repo id, or a
    folder's name) and versioned by the transformers release and a hash of the model's
    config and weights."""
    import transformers

    name = model if not Path(model).expanduser().is_dir() else Path(model).expanduser().name
    return ModelInfo(
        name=name, version=f"transformers {transformers.__version__} {weights_digest(directory)}"
    )


def weights_digest(directory: Path) -> str:
    """The first 12 hex digits of the SHA-256 of the model's ``config.json`` and weight
    files (``*.safetensors``, ``*.bin``), in name order."""
    digest = hashlib.sha256()
    files = [directory / "config.json"]
    files += sorted(p for p in directory.iterdir() if p.suffix in (".safetensors", ".bin"))
    for file in files:
        digest.update(file.name.encode())
        with file.open("rb") as data:
            while chunk := data.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()[:12]


def device() -> "torch.device":
    """The device the models run on: the first CUDA GPU when there is one, else the CPU."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def on_device(model: M) -> M:
    """`model` (in eval mode, as ``from_pretrained`` leaves it) moved to `device`."""
    # transformers wraps ``to`` with functools.wraps, which hides its signature from mypy
    model.to(device())  # type: ignore[arg-type]
    return model


class LoadOnce(Generic[T]):
    """A value loaded on first use, once, however many threads ask at the same time."""

    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        """The value, loading it on the first call."""
        with self._lock:
            if self._value is None:
                self._value = self._load()
            return self._value


class Lru(Generic[K, T]):
    """The `size` values used last, by key (thread-safe)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: OrderedDict[K, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> T | None:
        """The value kept for `key` (now the most recently used), or ``None``."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: K, value: T) -> None:
        """Keep `value` for `key`, dropping the least recently used beyond `size`."""
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self._size:
                self._values.popitem(last=False)
