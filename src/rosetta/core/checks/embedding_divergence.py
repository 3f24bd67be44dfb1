"""embedding-divergence: the words and what they are linked to mean the same thing.

For each link that is not rejected, whose type is one of `CheckSettings.mention_relations`,
from words (a text span or a transcript segment) to a region (a box, polygon, mask or a
box or polygon track) or a time interval (an entity end stands for its members), the
configured `Embedder` compares the two (``similarity(sample, words, region)``). A
similarity below `CheckSettings.embedding_similarity` is a warning; a pair the embedder
cannot compare (``None``) is skipped. The embedder may read media; the check does not.
"""

from collections.abc import Iterator
from typing import ClassVar

from rosetta.core.checks.spec import CheckContext, Finding, Severity
from rosetta.core.geometry import Box, Interval, Mask, Polygon, TextSpan, Track, TranscriptSegment
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation


def _is_words(annotation: Annotation) -> bool:
    return isinstance(annotation.geometry, TextSpan | TranscriptSegment)


def _is_region_or_interval(annotation: Annotation) -> bool:
    geometry = annotation.geometry
    if isinstance(geometry, Track):
        return geometry.kind != "cuboid"
    return isinstance(geometry, Box | Polygon | Mask | Interval)


class EmbeddingDivergence:
    """Linked words and regions are similar to the configured embedder."""

    name: ClassVar[str] = "embedding-divergence"
    description: ClassVar[str] = (
        "words linked to an image region or a time interval are similar to it by the "
        "configured embedder (at least the embedding threshold)"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset()
    needs_embedder: ClassVar[bool] = True

    def run(self, context: CheckContext) -> Iterator[Finding]:
        """One warning per linked words and region the embedder finds too dissimilar."""
        embedder = context.embedder
        if embedder is None:
            return
        threshold = context.settings.embedding_similarity
        relations = set(context.settings.mention_relations)
        index = context.index
        for link in context.sample.links:
            if link.type not in relations or link.status == "rejected":
                continue
            regions = [
                a for a in index.annotations_behind(link.target) if _is_region_or_interval(a)
            ]
            for words in index.annotations_behind(link.source):
                if not _is_words(words):
                    continue
                for region in regions:
                    similarity = embedder.similarity(context.sample, words, region)
                    if similarity is None or similarity >= threshold:
                        continue
                    yield context.finding(
                        self.name,
                        Severity.WARNING,
                        [link.id, words.id, region.id],
                        f"{words.id} and the {region.geometry.type} {region.id} it is linked "
                        f"to by {link.id} are dissimilar to {embedder.name}: similarity "
                        f"{similarity:.2f}, below {threshold:.2f}",
                        fix="check that the words name what the region shows; relink or "
                        "correct one of them",
                        similarity=similarity,
                        embedder=embedder.name,
                    )
