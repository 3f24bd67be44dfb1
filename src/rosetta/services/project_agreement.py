"""A project's inter-annotator agreement, pooled over its overlap samples: the agreement
part of the quality report (`rosetta.core.quality_model`).

**Overlap samples** are those on which two or more people (distinct ``annotations.author``)
drew annotations; a model's candidates (source kind ``model``) are nobody's work here, nor
are a model's proposed links. One grouped query finds them, streamed `BATCH` at a time;
each batch is read with one query per table and split by author
(`rosetta.core.link_agreement.split_by_author`).

**Within a modality** every pair of the sample's annotators (those with annotations on it)
is compared stream by stream, per geometry family (`FAMILIES`): regions by IoU
(`region_agreement`), segments by boundaries within `TOLERANCE` seconds
(`segment_agreement`), text spans by overlap (`overlap_span_matching`), transcripts by
their words (`transcript_agreement`), tracks by mean per-frame IoU (`match_tracks`; cuboid
tracks, cuboids and keypoints are not compared) and classifications by label, equal labels
paired first. A stream where only one of the two drew counts all of it unmatched. Pooled
over samples and pairs: F1 ``= 2·matched / (annotations of both sides)``; mean IoU of the
matches (spatial, per-frame, temporal or in code points: the matching's scores); the
median boundary deviation of matched segments and transcripts, over the exact list of
their start and end differences; WER and CER both ways round, ``(errors A→B + errors B→A)
/ (words of A + words of B)`` (an edit distance is symmetric, so one word changed in N
gives 1/N); label agreement and Cohen's κ over every matched pair's labels. Per modality
(families pooled): agreement per class (`per_class`) and the confusion of matched pairs'
labels, each pair counted both ways.

**Across modalities** `sample_link_agreement` per sample with links or entities: link F1
and F1 per relation type from the pooled matched and drawn counts; Krippendorff's α over
every sample's link units side by side (`_pooled_alpha`); entity membership F1 as the
mean of the pairs' co-membership F1 weighted by the objects both covered (pairs where
someone drew an entity), and membership α as the mean of the samples' α: core reports both
as ratios and never lists their object pairs, so they cannot be pooled as counts.

Undefined values (no pairs, 0/0) are ``None``.
"""

import itertools
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, func, select

from rosetta.core.geometry import Interval, TextSpan, Track, TranscriptSegment
from rosetta.core.link_agreement import (
    LinkUnits,
    Work,
    sample_link_agreement,
    split_by_author,
    undirected_relations,
)
from rosetta.core.matching import Match, Matching
from rosetta.core.ontology import Ontology
from rosetta.core.quality_model import (
    ClassAgreement,
    Confusion,
    LinkAgreementSummary,
    ModalityAgreement,
    RelationAgreement,
)
from rosetta.core.region_agreement import Region, per_class, region_agreement
from rosetta.core.reliability import cohens_kappa
from rosetta.core.schema import Annotation, Sample, Stream
from rosetta.core.segment_agreement import overlap_span_matching, segment_agreement
from rosetta.core.track_agreement import match_tracks
from rosetta.core.transcript_agreement import (
    EditCounts,
    text_errors,
    transcript_agreement,
    transcript_text,
)
from rosetta.services.visibility import from_model, model_link_row
from rosetta.store.events import dumps
from rosetta.store.records import load_samples
from rosetta.store.tables import annotations

#: Overlap samples read per batch.
BATCH = 200
#: Seconds by which matched segments' boundaries may differ.
TOLERANCE = 0.2
#: How each geometry type is compared.
FAMILIES = {
    "box": "region",
    "polygon": "region",
    "mask": "region",
    "interval": "segment",
    "span": "span",
    "transcript": "transcript",
    "track": "track",
    "classification": "classification",
}
#: The modality of a classification of the whole sample.
SAMPLE = "sample"


@dataclass(frozen=True)
class ProjectAgreement:
    """A project's agreement, within modalities and across them."""

    within: list[ModalityAgreement]
    classes: list[ClassAgreement]
    confusions: list[Confusion]
    links: LinkAgreementSummary


def project_agreement(
    connection: Connection,
    project_id: str,
    ontology: Ontology,
    *,
    tolerance: float = TOLERANCE,
    batch: int = BATCH,
) -> ProjectAgreement:
    """The agreement of the project's annotators on its overlap samples (see the module);
    `tolerance`: seconds within which segment boundaries match."""
    within = _Within(tolerance)
    across = _Across(undirected_relations(ontology))
    for sample_ids in _overlap_batches(connection, project_id, batch):
        for sample in _load(connection, sample_ids):
            works = split_by_author(sample)
            within.add(sample, works)
            across.add(works)
    return ProjectAgreement(*within.result(), links=across.result())


# --- reading --------------------------------------------------------------------------------

_HUMAN = ~from_model(annotations.c.source)


def _overlap_batches(connection: Connection, project_id: str, batch: int) -> Iterator[list[str]]:
    """The ids of the project's overlap samples, `batch` at a time, from one streamed query."""
    query = (
        select(annotations.c.sample_id)
        .where(annotations.c.project_id == project_id, annotations.c.author.is_not(None), _HUMAN)
        .group_by(annotations.c.sample_id)
        .having(func.count(annotations.c.author.distinct()) > 1)
        .order_by(annotations.c.sample_id)
    )
    result = connection.execution_options(yield_per=batch).execute(query)
    for partition in result.partitions():
        yield [row.sample_id for row in partition]


def _load(connection: Connection, sample_ids: list[str]) -> list[Sample]:
    """The samples with their streams and people's work: what someone authored, model
    candidates and models' proposed links left out (`store.records.load_samples`)."""
    return [_people_work(sample) for sample in load_samples(connection, sample_ids)]


def _people_work(sample: Sample) -> Sample:
    return sample.model_copy(
        update={
            "annotations": [
                a for a in sample.annotations if a.author is not None and a.source.kind != "model"
            ],
            "entities": [e for e in sample.entities if e.author is not None],
            "links": [
                k
                for k in sample.links
                if k.author is not None and not model_link_row(k.status, dumps(k.attributes))
            ],
        }
    )


# --- within modalities ----------------------------------------------------------------------

Key = tuple[str, str]  # modality, family


@dataclass
class _Tally:
    """What one modality and family pooled so far."""

    samples: int = 0
    pairs: int = 0
    matched: int = 0
    drawn: int = 0  # annotations of both sides
    scores: float = 0.0
    deviations: list[NDArray[np.float64]] = field(default_factory=list)
    errors: NDArray[np.int64] = field(default_factory=lambda: np.zeros(4, np.int64))
    labels: Counter[tuple[str, str]] = field(default_factory=Counter)


@dataclass(frozen=True)
class _Compared:
    """A comparison of two sides: the matching, boundary differences of the matches, and
    (transcripts) word errors, words, character errors, characters, both ways summed."""

    matching: Matching
    deviations: NDArray[np.float64] | None = None
    errors: NDArray[np.int64] | None = None


class _Within:
    def __init__(self, tolerance: float) -> None:
        self.tolerance = tolerance
        self.tallies: defaultdict[Key, _Tally] = defaultdict(_Tally)
        self.classes: defaultdict[tuple[str, str], NDArray[np.int64]] = defaultdict(
            lambda: np.zeros(2, np.int64)  # agreed, annotations of the class
        )

    def add(self, sample: Sample, works: Mapping[str, Work]) -> None:
        stream_of = {stream.id: stream for stream in sample.streams}
        drawn = {who: _grouped(work.annotations) for who, work in works.items() if work.annotations}
        in_sample: set[Key] = set()
        for one, other in itertools.combinations(drawn, 2):
            in_pair: set[Key] = set()
            for stream_id, family in sorted(drawn[one].keys() | drawn[other].keys(), key=str):
                stream = stream_of.get(stream_id) if stream_id else None
                key = (stream.modality.value if stream else SAMPLE, family)
                first = drawn[one].get((stream_id, family), [])
                second = drawn[other].get((stream_id, family), [])
                self._count(key, first, second, self._compare(family, first, second, stream))
                in_pair.add(key)
            for key in in_pair:
                self.tallies[key].pairs += 1
            in_sample |= in_pair
        for key in in_sample:
            self.tallies[key].samples += 1

    def _compare(
        self,
        family: str,
        first: list[Annotation],
        second: list[Annotation],
        stream: Stream | None,
    ) -> _Compared:
        a, b = [x.geometry for x in first], [x.geometry for x in second]
        if family == "region":
            return _Compared(
                region_agreement(
                    cast(list[Region], a),
                    cast(list[Region], b),
                    [x.label for x in first],
                    [x.label for x in second],
                ).matching
            )
        if family == "segment":
            segments = cast(list[Interval], a), cast(list[Interval], b)
            matching = segment_agreement(*segments, tolerance=self.tolerance).matching
            return _Compared(matching, _deviations(matching, *segments))
        if family == "span":
            return _Compared(
                overlap_span_matching(cast(list[TextSpan], a), cast(list[TextSpan], b))
            )
        if family == "transcript":
            return _transcripts(cast(list[TranscriptSegment], a), cast(list[TranscriptSegment], b))
        if family == "track":
            count = stream.media.frame_count if stream else None
            last = count - 1 if count else None
            tracks = cast(list[Track], a), cast(list[Track], b)
            return _Compared(match_tracks(*tracks, last_frame=last))
        return _Compared(_by_label([x.label for x in first], [x.label for x in second]))

    def _count(
        self, key: Key, first: list[Annotation], second: list[Annotation], compared: _Compared
    ) -> None:
        tally, matching = self.tallies[key], compared.matching
        tally.matched += len(matching.matches)
        tally.drawn += len(first) + len(second)
        tally.scores += sum(match.score for match in matching.matches)
        if compared.deviations is not None:
            tally.deviations.append(compared.deviations)
        if compared.errors is not None:
            tally.errors += compared.errors
        labels_a, labels_b = [x.label for x in first], [x.label for x in second]
        tally.labels.update((labels_a[m.first], labels_b[m.second]) for m in matching.matches)
        for agreement in per_class(labels_a, labels_b, matching):
            self.classes[key[0], agreement.label] += (
                agreement.agreed,
                agreement.first_count + agreement.second_count,
            )

    def result(self) -> tuple[list[ModalityAgreement], list[ClassAgreement], list[Confusion]]:
        within = [_modality(key, tally) for key, tally in sorted(self.tallies.items())]
        classes = [
            ClassAgreement(
                modality=modality,
                label=label,
                agreed=int(agreed),
                disagreed=int(total - 2 * agreed),
                f1=_ratio(2 * agreed, total),
            )
            for (modality, label), (agreed, total) in sorted(self.classes.items())
        ]
        pooled: defaultdict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
        for (modality, _), tally in self.tallies.items():
            pooled[modality].update(tally.labels)
        confusions = [_confusion(m, pairs) for m, pairs in sorted(pooled.items()) if pairs]
        return within, classes, confusions


def _grouped(drawn: Sequence[Annotation]) -> dict[tuple[str | None, str], list[Annotation]]:
    """The annotations by stream and family (those of no family left out)."""
    groups: defaultdict[tuple[str | None, str], list[Annotation]] = defaultdict(list)
    for annotation in drawn:
        geometry = annotation.geometry
        family = FAMILIES.get(geometry.type)
        if family is not None and not (isinstance(geometry, Track) and geometry.kind == "cuboid"):
            groups[annotation.stream, family].append(annotation)
    return groups


def _deviations(
    matching: Matching,
    first: Sequence[Interval | TranscriptSegment],
    second: Sequence[Interval | TranscriptSegment],
) -> NDArray[np.float64]:
    """The absolute differences of the matched pairs' starts and ends, in seconds."""
    pairs = [(first[m.first], second[m.second]) for m in matching.matches]
    return np.abs(
        np.array([(g.start - h.start, g.end - h.end) for g, h in pairs], np.float64).ravel()
    )


def _transcripts(first: list[TranscriptSegment], second: list[TranscriptSegment]) -> _Compared:
    agreement = transcript_agreement(first, second)
    ways = agreement.overall, text_errors(transcript_text(second), transcript_text(first))
    counts = [[*_edits(way.words), *_edits(way.characters)] for way in ways]
    matching = agreement.matching
    return _Compared(
        matching, _deviations(matching, first, second), np.array(counts, np.int64).sum(axis=0)
    )


def _edits(counts: EditCounts) -> tuple[int, int]:
    """Errors and units of the reference."""
    errors = counts.substitutions + counts.deletions + counts.insertions
    return errors, counts.reference_length


def _by_label(first: Sequence[str], second: Sequence[str]) -> Matching:
    """Classifications paired one to one: equal labels first (score 1), then the rest in
    order (score 0)."""
    waiting: defaultdict[str, list[int]] = defaultdict(list)
    for j, label in enumerate(second):
        waiting[label].append(j)
    matches, rest = [], []
    for i, label in enumerate(first):
        if waiting[label]:
            matches.append(Match(i, waiting[label].pop(0), 1.0))
        else:
            rest.append(i)
    others = sorted(j for left in waiting.values() for j in left)
    matches += [Match(i, j, 0.0) for i, j in zip(rest, others, strict=False)]
    return Matching(tuple(sorted(matches)), len(first), len(second))


def _modality(key: Key, tally: _Tally) -> ModalityAgreement:
    modality, family = key
    pairs = list(tally.labels.elements())
    deviations = np.concatenate(tally.deviations) if tally.deviations else np.empty(0)
    word_errors, words, character_errors, characters = tally.errors.tolist()
    return ModalityAgreement(
        modality=modality,
        family=family,
        samples=tally.samples,
        pairs=tally.pairs,
        matched=tally.matched,
        unmatched=tally.drawn - 2 * tally.matched,
        f1=_ratio(2 * tally.matched, tally.drawn),
        mean_iou=None if family == "classification" else _ratio(tally.scores, tally.matched),
        boundary_deviation=float(np.median(deviations)) if deviations.size else None,
        wer=_ratio(word_errors, words) if family == "transcript" else None,
        cer=_ratio(character_errors, characters) if family == "transcript" else None,
        label_agreement=_ratio(sum(a == b for a, b in pairs), len(pairs)),
        label_kappa=_kappa(pairs),
    )


def _kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's κ of the pairs' labels; ``None`` without pairs or with one label in all."""
    if len({label for pair in pairs for label in pair}) < 2:
        return None
    first, second = zip(*pairs, strict=True)
    kappa = cohens_kappa(first, second)
    return None if np.isnan(kappa) else kappa


def _confusion(modality: str, pairs: Counter[tuple[str, str]]) -> Confusion:
    labels = sorted({label for pair in pairs for label in pair})
    index = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), np.int64)
    for (a, b), count in pairs.items():
        counts[index[a], index[b]] += count
    return Confusion(modality=modality, labels=labels, counts=(counts + counts.T).tolist())


# --- across modalities ----------------------------------------------------------------------


class _Across:
    def __init__(self, undirected: Collection[str]) -> None:
        self.undirected = undirected
        self.samples = self.pairs = self.matched = self.drawn = 0
        self.types: defaultdict[str, NDArray[np.int64]] = defaultdict(
            lambda: np.zeros(3, np.int64)  # links, matched, drawn by both sides of pairs
        )
        self.units: list[LinkUnits] = []
        self.entity = np.zeros(2)  # Σ objects · F1, Σ objects
        self.entity_alphas: list[float] = []

    def add(self, works: Mapping[str, Work]) -> None:
        if len(works) < 2 or not any(work.links or work.entities for work in works.values()):
            return
        found = sample_link_agreement(works, undirected=self.undirected)
        self.samples += 1
        self.pairs += len(found.pairs)
        for work in works.values():
            for link in work.links:
                self.types[link.type][0] += 1
        for pair in found.pairs:
            one, other = works[pair.first], works[pair.second]
            type_of = {link.id: link.type for link in one.links}
            self.matched += len(pair.links.matched)
            self.drawn += len(one.links) + len(other.links)
            for ident, _ in pair.links.matched:
                self.types[type_of[ident]][1] += 1
            for link in itertools.chain(one.links, other.links):
                self.types[link.type][2] += 1
            f1 = pair.membership.comembership_f1
            if f1 is not None and (one.entities or other.entities):
                self.entity += (pair.membership.objects * f1, pair.membership.objects)
        self.units.append(found.link_units)
        if found.membership_alpha is not None:
            self.entity_alphas.append(found.membership_alpha)

    def result(self) -> LinkAgreementSummary:
        return LinkAgreementSummary(
            samples=self.samples,
            pairs=self.pairs,
            f1=_ratio(2 * self.matched, self.drawn),
            alpha=_pooled_alpha(self.units),
            per_type=[
                RelationAgreement(type=kind, links=int(count), f1=_ratio(2 * matched, drawn))
                for kind, (count, matched, drawn) in sorted(self.types.items())
            ],
            entity_f1=_ratio(*self.entity),
            entity_alpha=float(np.mean(self.entity_alphas)) if self.entity_alphas else None,
        )


def _pooled_alpha(found: Sequence[LinkUnits]) -> float | None:
    """Krippendorff's α over every sample's link units side by side. Nominal α counts the
    values each unit got, not who gave them, so row ``i`` holds each sample's ``i``-th
    annotator (missing where it has fewer): the α of one row per annotator of the project,
    in as many rows as the most annotators of one sample."""
    if not found:
        return None
    rows = max(len(units.annotators) for units in found)
    values = [
        tuple(
            value
            for units in found
            for value in (units.values[i] if i < len(units.values) else (None,) * len(units.units))
        )
        for i in range(rows)
    ]
    pooled = LinkUnits(
        annotators=tuple(map(str, range(rows))),
        units=tuple(unit for units in found for unit in units.units),
        values=tuple(values),
    )
    return pooled.alpha()


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator / denominator) if denominator else None
