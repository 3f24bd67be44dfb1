"""The embedders the QA embedding check can use (`rosetta.core.checks.spec.Embedder`), by
name: ``minilm`` (text with text: a span or transcript with a caption-like attribute,
`rosetta.proposers.sentence_embeddings`, weights shipped in its package) and ``clip``
(words with an image region, `rosetta.proposers.hf_clip.ClipEmbedder`, the model the
settings give ``clip-labels``, media read inside the media roots). One instance per
process and settings, so a model loads once."""

from functools import cache
from pathlib import Path
from typing import Literal

from rosetta.core.checks.spec import Embedder
from rosetta.core.errors import RuleViolation
from rosetta.services.media_access import local_media_path
from rosetta.services.settings import Settings

#: The embedders by name.
EmbedderName = Literal["minilm", "clip"]


@cache
def embedder_named(name: EmbedderName, settings: Settings | None) -> Embedder:
    """The embedder `name`, ready to load its model; a `RuleViolation` naming what is
    missing when it cannot run here."""
    if name == "minilm":
        from rosetta.proposers.sentence_embeddings import MiniLmEmbedder

        minilm = MiniLmEmbedder()
        why = minilm.unavailable()
        found: Embedder = minilm
    else:
        from rosetta.proposers.hf_clip import ClipEmbedder

        model = dict(settings.proposer_models).get("clip-labels") if settings else None
        if model is None:
            raise RuleViolation(
                "embedder",
                "clip",
                "embedder-available",
                'no CLIP model configured: set ROSETTA_PROPOSER_MODELS {"clip-labels": ...}',
            )

        def locate(uri: str) -> Path:
            return local_media_path(uri, settings) if settings is not None else Path(uri)

        clip = ClipEmbedder(model, locate=locate)
        why = clip.unavailable()
        found = clip
    if why is not None:
        raise RuleViolation("embedder", name, "embedder-available", why)
    return found
