"""How much two or more models disagree about one sample: the routing signal that sends a
sample whose proposers contradict each other to deeper review. Pure: no I/O.

Candidates (annotations with ``source.kind == "model"``) are grouped by model
(``source.name``) and by stream; each pair of models on a stream that both proposed on is
compared per kind of geometry, each comparison a disagreement in [0, 1]:

- **regions** (boxes, polygons, masks): matched one-to-one by IoU
  (`rosetta.core.region_agreement`, any IoU above 0); ``1 - Σ IoU of the matches /
  max(count of either side)``, so unmatched regions count as IoU 0 (mask IoU for masks);
- **labels** of the matched regions and of whole-stream classifications: the share of
  pairs whose class differs (classifications: the set of classes each model gave);
- **transcripts**: the word error rate (`rosetta.core.transcript_agreement.text_errors`,
  normalised) of the second model's transcript of the stream against the first's,
  capped at 1, taken both ways and averaged;
- **intervals** (speech, events): ``1 -`` the temporal IoU of the two models' unions of
  intervals.

The sample's `Disagreement.score` is the largest comparison (one contradiction is enough
to look again); ``None`` when fewer than two models proposed on any one stream.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import combinations

from pydantic import BaseModel, ConfigDict, Field

from rosetta.core.geometry import Box, Classification, Interval, Mask, Polygon, TranscriptSegment
from rosetta.core.region_agreement import region_agreement
from rosetta.core.schema import Annotation
from rosetta.core.transcript_agreement import text_errors, transcript_text


class Comparison(BaseModel):
    """One measure of two models' candidates on one stream."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stream: str | None
    models: tuple[str, str]
    measure: str = Field(description="regions, labels, transcripts or intervals")
    disagreement: float = Field(ge=0, le=1)


class Disagreement(BaseModel):
    """The comparisons made and the sample's score (their largest; ``None``: none)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    comparisons: list[Comparison]
    score: float | None


def _regions(
    first: Sequence[Annotation], second: Sequence[Annotation]
) -> Iterable[tuple[str, float]]:
    a = [x for x in first if isinstance(x.geometry, Box | Polygon | Mask)]
    b = [x for x in second if isinstance(x.geometry, Box | Polygon | Mask)]
    if not a and not b:
        return
    if not a or not b:
        yield "regions", 1.0
        return
    found = region_agreement(
        [x.geometry for x in a],  # type: ignore[misc]  # narrowed by the filter above
        [x.geometry for x in b],  # type: ignore[misc]
        [x.label for x in a],
        [x.label for x in b],
        threshold=1e-9,
    )
    matches = found.matching.matches
    total = sum(match.score for match in matches)
    yield "regions", 1.0 - total / max(len(a), len(b))
    if matches:
        differ = sum(a[m.first].label != b[m.second].label for m in matches)
        yield "labels", differ / len(matches)


def _classifications(
    first: Sequence[Annotation], second: Sequence[Annotation]
) -> Iterable[tuple[str, float]]:
    a = {x.label for x in first if isinstance(x.geometry, Classification)}
    b = {x.label for x in second if isinstance(x.geometry, Classification)}
    if a or b:
        yield "labels", 1.0 - len(a & b) / len(a | b)


def _transcripts(
    first: Sequence[Annotation], second: Sequence[Annotation]
) -> Iterable[tuple[str, float]]:
    a = [x.geometry for x in first if isinstance(x.geometry, TranscriptSegment)]
    b = [x.geometry for x in second if isinstance(x.geometry, TranscriptSegment)]
    if not a and not b:
        return
    text_a, text_b = transcript_text(a), transcript_text(b)
    both_ways = (
        min(1.0, text_errors(text_a, text_b).words.rate),
        min(1.0, text_errors(text_b, text_a).words.rate),
    )
    yield "transcripts", sum(both_ways) / 2


def _union(intervals: Sequence[Interval]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted((i.start, i.end) for i in intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _length(spans: Sequence[tuple[float, float]]) -> float:
    return sum(end - start for start, end in spans)


def _overlap(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]) -> float:
    total, i, j = 0.0, 0, 0
    while i < len(a) and j < len(b):
        total += max(0.0, min(a[i][1], b[j][1]) - max(a[i][0], b[j][0]))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def _intervals(
    first: Sequence[Annotation], second: Sequence[Annotation]
) -> Iterable[tuple[str, float]]:
    a = _union([x.geometry for x in first if isinstance(x.geometry, Interval)])
    b = _union([x.geometry for x in second if isinstance(x.geometry, Interval)])
    if not a and not b:
        return
    shared = _overlap(a, b)
    union = _length(a) + _length(b) - shared
    yield "intervals", 1.0 - (shared / union if union > 0 else 1.0)


_MEASURES = (_regions, _classifications, _transcripts, _intervals)


def model_disagreement(candidates: Iterable[Annotation]) -> Disagreement:
    """The disagreement of the models among `candidates` (see the module); annotations not
    from a model are left out."""
    by_stream: defaultdict[str | None, defaultdict[str, list[Annotation]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for candidate in candidates:
        if candidate.source.kind == "model":
            by_stream[candidate.stream][candidate.source.name or ""].append(candidate)
    comparisons = []
    for stream, by_model in by_stream.items():
        for name_a, name_b in combinations(sorted(by_model), 2):
            for measure in _MEASURES:
                for kind, value in measure(by_model[name_a], by_model[name_b]):
                    comparisons.append(
                        Comparison(
                            stream=stream,
                            models=(name_a, name_b),
                            measure=kind,
                            disagreement=min(1.0, max(0.0, value)),
                        )
                    )
    score = max((c.disagreement for c in comparisons), default=None)
    return Disagreement(comparisons=comparisons, score=score)
