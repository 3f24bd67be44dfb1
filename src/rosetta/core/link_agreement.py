"""Cross-modal inter-annotator agreement: how far the links and entities that two or more
annotators drew on one sample agree. Pure: no I/O.

Links are compared through *objects*, the things annotations denote:

- Two annotators' annotations match one to one within the same stream, geometry type and
  frame, by a similarity (by default `rosetta.core.matching.similarity` of the geometries;
  callers may pass their own), the pairs maximising the total score (`optimal_pairs`).
- With three or more annotators the objects grow annotator by annotator, in the order
  given (the first one is the pivot): the first annotator's annotations are the first
  objects, each next annotator's are matched against every object's first member, and
  those left unmatched become new objects. An object so holds at most one annotation per
  annotator (connected components of pairwise matches would not), at the price of
  depending on the order.
- Entities match the same way, by the Jaccard index of their members' objects (at least
  one object shared): an entity endpoint maps onto the other annotator's entity whose
  members best overlap its own, one to one.

A link endpoint is looked up in its annotator's own work first, then in the others' (one
may link a colleague's box); an endpoint found nowhere matches nothing. An annotator
*covers* the objects they drew, linked or grouped.

Measures: `link_f1` (links equal in type and in their endpoints' objects, either way round
for an undirected relation), `link_units` (Krippendorff's α over the object pairs anyone
linked), `membership_agreement` (co-membership and B-cubed F1 over the objects both
covered) and `membership_alpha` (α over object pairs: same entity or not);
`sample_link_agreement` computes them all.
"""

import itertools
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from rosetta.core.geometry import Mask, Track
from rosetta.core.matching import MATCH_IOU, optimal_pairs, similarity, similarity_matrix
from rosetta.core.ontology import Ontology
from rosetta.core.region_agreement import mask_iou
from rosetta.core.reliability import coded, krippendorff_alpha
from rosetta.core.schema import Annotation, Entity, Link, Sample
from rosetta.core.track_agreement import track_agreement

#: How alike two annotations are (higher is more, at most 1); ``None``: they cannot match.
Similarity = Callable[[Annotation, Annotation], float | None]

#: An annotation object (``"annotation"``) or an entity cluster (``"entity"``) by index.
Endpoint = tuple[str, int]

#: A relation drawn against the order of its unit's two objects.
REVERSED = " (reversed)"
#: The value of a link unit for an annotator who drew no link between its two objects.
NONE = "none"

_RANGES = frozenset({"span", "interval", "transcript"})


def geometry_similarity(first: Annotation, second: Annotation) -> float | None:
    """How alike two annotations' geometries are: box and polygon tracks by their mean
    per-frame IoU (`rosetta.core.track_agreement`), masks by IoU (pycocotools), both
    matching from `MATCH_IOU`; everything else by `rosetta.core.matching.similarity`."""
    g, h = first.geometry, second.geometry
    score: float | None = None
    if isinstance(g, Track) and isinstance(h, Track) and g.kind == h.kind != "cuboid":
        score = track_agreement(g, h).mean_iou
    elif isinstance(g, Mask) and isinstance(h, Mask):
        if g.frame != h.frame or g.rle.size != h.rle.size:
            return None
        score = float(mask_iou([g], [h])[0, 0])
    else:
        return similarity(g, h)
    return score if score >= MATCH_IOU else None


def undirected_relations(ontology: Ontology) -> frozenset[str]:
    """The names of the ontology's undirected relation types."""
    return frozenset(relation.name for relation in ontology.relations if not relation.directed)


@dataclass(frozen=True)
class Work:
    """One annotator's annotations, entities and links on one sample."""

    annotations: tuple[Annotation, ...] = ()
    entities: tuple[Entity, ...] = ()
    links: tuple[Link, ...] = ()


#: A `Work`, a `Sample` holding one annotator's work, or (annotations, entities, links).
WorkLike = Work | Sample | tuple[Sequence[Annotation], Sequence[Entity], Sequence[Link]]


def as_work(work: WorkLike) -> Work:
    """`work` as a `Work`."""
    if isinstance(work, Work):
        return work
    if isinstance(work, Sample):
        return Work(tuple(work.annotations), tuple(work.entities), tuple(work.links))
    annotations, entities, links = work
    return Work(tuple(annotations), tuple(entities), tuple(links))


def split_by_author(sample: Sample) -> dict[str, Work]:
    """Each author's work on `sample` (their annotations, entities and links), authors in
    sorted order; records without an author are nobody's work and left out."""
    parts: dict[str, tuple[list[Any], list[Any], list[Any]]] = defaultdict(lambda: ([], [], []))
    every: tuple[Sequence[Annotation | Entity | Link], ...] = (
        sample.annotations,
        sample.entities,
        sample.links,
    )
    for kind, records in enumerate(every):
        for record in records:
            if record.author is not None:
                parts[record.author][kind].append(record)
    return {author: Work(*map(tuple, parts[author])) for author in sorted(parts)}


def match_endpoints(
    first: Sequence[Annotation],
    second: Sequence[Annotation],
    similar: Similarity = geometry_similarity,
) -> dict[str, str]:
    """The annotation of `second` matched to each annotation of `first` (by id), one to
    one within the same stream, geometry type and frame, maximising the total `similar`."""
    return {first[i].id: second[j].id for i, j in _pairs(first, second, similar)}


def _pairs(
    first: Sequence[Annotation], second: Sequence[Annotation], similar: Similarity
) -> list[tuple[int, int]]:
    groups: dict[tuple[Any, ...], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for i, annotation in enumerate(first):
        groups[_group(annotation)][0].append(i)
    for j, annotation in enumerate(second):
        if (key := _group(annotation)) in groups:
            groups[key][1].append(j)
    pairs: list[tuple[int, int]] = []
    for rows, columns in groups.values():
        if columns:
            scores = _scores([first[i] for i in rows], [second[j] for j in columns], similar)
            pairs += [(rows[r], columns[c]) for r, c in optimal_pairs(scores)]
    return sorted(pairs)


def _group(annotation: Annotation) -> tuple[Any, ...]:
    geometry = annotation.geometry
    return annotation.stream, geometry.type, getattr(geometry, "frame", None)


def _scores(
    first: Sequence[Annotation], second: Sequence[Annotation], similar: Similarity
) -> NDArray[np.float64]:
    """`similar` of every pair (NaN: no match); the default's boxes and time or text
    ranges in whole arrays, to the same numbers."""
    kind = first[0].geometry.type
    if similar is geometry_similarity and kind == "box":
        a, b = _fields(first, ("x", "y", "w", "h")), _fields(second, ("x", "y", "w", "h"))
        x0, y0, w0, h0 = (a[:, [k]] for k in range(4))
        x1, y1, w1, h1 = b.T
        width = np.minimum(x0 + w0, x1 + w1) - np.maximum(x0, x1)
        height = np.minimum(y0 + h0, y1 + h1) - np.maximum(y0, y1)
        overlap = np.maximum(width, 0.0) * np.maximum(height, 0.0)
        iou = overlap / (w0 * h0 + w1 * h1 - overlap)
        return np.where(iou >= MATCH_IOU, iou, np.nan)
    if similar is geometry_similarity and kind in _RANGES:
        a, b = _fields(first, ("start", "end")), _fields(second, ("start", "end"))
        (s0, e0), (s1, e1) = (a[:, [0]], a[:, [1]]), b.T
        overlap = np.minimum(e0, e1) - np.maximum(s0, s1)
        return np.where(overlap > 0, overlap / (np.maximum(e0, e1) - np.minimum(s0, s1)), np.nan)
    return similarity_matrix(first, second, similar)


def _fields(annotations: Sequence[Annotation], names: tuple[str, ...]) -> NDArray[np.float64]:
    return np.array([[getattr(a.geometry, name) for name in names] for a in annotations], float)


def _jaccard(sets: Sequence[frozenset[int]], others: Sequence[frozenset[int]]) -> NDArray[Any]:
    """The Jaccard index of every pair of sets sharing an element (NaN elsewhere)."""
    scores = np.full((len(sets), len(others)), np.nan)
    holders: dict[int, list[int]] = defaultdict(list)
    for j, other in enumerate(others):
        for element in other:
            holders[element].append(j)
    for i, members in enumerate(sets):
        for j in {j for element in members for j in holders[element]}:
            scores[i, j] = len(members & others[j]) / len(members | others[j])
    return scores


class _Objects:
    """Several annotators' annotations clustered into objects and their entities into
    entity clusters (see the module's docstring), and what each annotator did with them."""

    def __init__(self, works: Mapping[str, Work], similar: Similarity) -> None:
        self.works = works
        self.own: dict[tuple[str, str], Endpoint] = {}
        self.anywhere: dict[str, Endpoint] = {}  # the first annotator's, where ids repeat
        self.names: dict[Endpoint, str] = {}
        objects: list[Annotation] = []  # each object's first member
        for who, work in works.items():
            found = dict(_pairs(work.annotations, objects, similar))
            for i, annotation in enumerate(work.annotations):
                if i not in found:
                    found[i] = len(objects)
                    objects.append(annotation)
                    self.names["annotation", found[i]] = annotation.id
                self.own[who, annotation.id] = ("annotation", found[i])
                self.anywhere.setdefault(annotation.id, ("annotation", found[i]))
        self.count = len(objects)
        clusters: list[frozenset[int]] = []  # each entity cluster's first member's objects
        for who, work in works.items():
            groups = [self.group(who, entity) for entity in work.entities]
            found = dict(optimal_pairs(_jaccard(groups, clusters)))
            for i, (entity, group) in enumerate(zip(work.entities, groups, strict=True)):
                if i not in found:
                    found[i] = len(clusters)
                    clusters.append(group)
                    self.names["entity", found[i]] = entity.id
                self.own[who, entity.id] = ("entity", found[i])
                self.anywhere.setdefault(entity.id, ("entity", found[i]))

    def endpoint(self, who: str, ref: str) -> Endpoint | None:
        """What `ref` in `who`'s work denotes: their own record first, else anyone's."""
        return self.own.get((who, ref)) or self.anywhere.get(ref)

    def group(self, who: str, entity: Entity) -> frozenset[int]:
        """The objects of the annotation members of `who`'s `entity`."""
        found = (self.endpoint(who, member) for member in entity.members)
        return frozenset(e[1] for e in found if e is not None and e[0] == "annotation")

    def covered(self, who: str) -> set[Endpoint]:
        """The objects and entity clusters `who` drew, linked or grouped."""
        work = self.works[who]
        refs = itertools.chain(
            (annotation.id for annotation in work.annotations),
            (entity.id for entity in work.entities),
            (member for entity in work.entities for member in entity.members),
            (ref for link in work.links for ref in (link.source, link.target)),
        )
        return {endpoint for ref in refs if (endpoint := self.endpoint(who, ref)) is not None}

    def coverage(self, who: str) -> NDArray[np.bool_]:
        """Which annotation objects `who` covers."""
        covered = np.zeros(self.count, bool)
        covered[[i for kind, i in self.covered(who) if kind == "annotation"]] = True
        return covered

    def together(self, who: str) -> sparse.csr_array:
        """Which two objects `who` put in one entity: a symmetric boolean objects × objects
        matrix with an empty diagonal."""
        entities = self.works[who].entities
        cells = [(o, j) for j, entity in enumerate(entities) for o in self.group(who, entity)]
        rows, columns = np.array(cells, np.intp).reshape(-1, 2).T
        shape = (self.count, len(entities))
        incidence = sparse.csr_array((np.ones(len(cells)), (rows, columns)), shape=shape)
        product = (incidence @ incidence.T).tocoo()
        apart = product.row != product.col
        pairs = (product.row[apart], product.col[apart])
        return sparse.csr_array((np.ones(apart.sum(), bool), pairs), shape=(self.count,) * 2)

    def unit(self, who: str, link: Link, undirected: Collection[str]) -> tuple[Any, ...] | None:
        """The link's type and endpoints (in order, when undirected), ``None`` if one is
        found nowhere."""
        source, target = self.endpoint(who, link.source), self.endpoint(who, link.target)
        if source is None or target is None:
            return None
        if link.type in undirected and target < source:
            source, target = target, source
        return link.type, source, target


@dataclass(frozen=True)
class LinkF1:
    """How far the first annotator's links match the second's: ``matched`` pairs of link
    ids (first, second), one to one; ``precision`` = matched / first's links, ``recall`` =
    matched / second's, ``f1`` their harmonic mean (each 1.0 where it divides by zero)."""

    precision: float
    recall: float
    f1: float
    matched: tuple[tuple[str, str], ...]
    unmatched_first: tuple[str, ...]
    unmatched_second: tuple[str, ...]
    f1_by_type: Mapping[str, float]


def link_f1(
    first: WorkLike,
    second: WorkLike,
    *,
    undirected: Collection[str] = (),
    similar: Similarity = geometry_similarity,
) -> LinkF1:
    """The link F1 of two annotators' work; `undirected` relation types match either way
    round (`undirected_relations`)."""
    return _link_f1(_Objects({"0": as_work(first), "1": as_work(second)}, similar), undirected)


def _f1(matched: int, first: int, second: int) -> float:
    return 2 * matched / (first + second) if first + second else 1.0


def _link_f1(objects: _Objects, undirected: Collection[str]) -> LinkF1:
    (one, first), (other, second) = objects.works.items()
    waiting: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for link in second.links:
        if (key := objects.unit(other, link, undirected)) is not None:
            waiting[key].append(link.id)
    matched: list[tuple[str, str]] = []
    by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # matched, first, second
    for link in first.links:
        key = objects.unit(one, link, undirected)
        by_type[link.type][1] += 1
        if key is not None and waiting[key]:
            matched.append((link.id, waiting[key].pop(0)))
            by_type[link.type][0] += 1
    for link in second.links:
        by_type[link.type][2] += 1
    taken = {pair[0] for pair in matched}, {pair[1] for pair in matched}
    count, total = len(matched), (len(first.links), len(second.links))
    return LinkF1(
        precision=count / total[0] if total[0] else 1.0,
        recall=count / total[1] if total[1] else 1.0,
        f1=_f1(count, *total),
        matched=tuple(matched),
        unmatched_first=tuple(link.id for link in first.links if link.id not in taken[0]),
        unmatched_second=tuple(link.id for link in second.links if link.id not in taken[1]),
        f1_by_type={kind: _f1(*counts) for kind, counts in sorted(by_type.items())},
    )


@dataclass(frozen=True)
class LinkUnits:
    """Krippendorff's reliability data of link units: ``units`` are the object pairs
    anyone linked, in the order and direction first drawn (the pivot's links first), each
    object named by its first member's id; ``values`` (annotators × units) the relation
    types an annotator drew between them (joined by `` + `` when several; a directed one
    drawn the other way round marked `REVERSED`), `NONE` for no link, ``None`` (missing)
    where the annotator does not cover one of the two objects."""

    annotators: tuple[str, ...]
    units: tuple[tuple[str, str], ...]
    values: tuple[tuple[str | None, ...], ...]

    def alpha(self) -> float | None:
        """Krippendorff's α at the nominal level (`_alpha`)."""
        return _alpha(coded(self.values)[0])


def link_units(
    works: Mapping[str, WorkLike],
    *,
    undirected: Collection[str] = (),
    similar: Similarity = geometry_similarity,
) -> LinkUnits:
    """The link units of two or more annotators' work on one sample, first annotator pivot."""
    return _link_units(_Objects(_works(works), similar), undirected)


def _link_units(objects: _Objects, undirected: Collection[str]) -> LinkUnits:
    oriented: dict[frozenset[Endpoint], tuple[Endpoint, Endpoint]] = {}  # as first drawn
    drawn: dict[str, dict[tuple[Endpoint, Endpoint], set[str]]] = {}
    for who, work in objects.works.items():
        drawn[who] = defaultdict(set)
        for link in work.links:
            if (key := objects.unit(who, link, ())) is not None:
                kind, source, target = key
                pair = oriented.setdefault(frozenset((source, target)), (source, target))
                forward = pair == (source, target) or kind in undirected
                drawn[who][pair].add(kind if forward else kind + REVERSED)
    units = list(oriented.values())
    values = []
    for who in objects.works:
        covered = objects.covered(who)
        values.append(
            tuple(
                " + ".join(sorted(drawn[who][pair]))
                if pair in drawn[who]
                else (NONE if pair[0] in covered and pair[1] in covered else None)
                for pair in units
            )
        )
    return LinkUnits(
        annotators=tuple(objects.works),
        units=tuple((objects.names[a], objects.names[b]) for a, b in units),
        values=tuple(values),
    )


def _alpha(data: NDArray[np.float64]) -> float | None:
    """Nominal Krippendorff's α of raters × units `data`; ``None`` where it is undefined:
    no unit judged twice, or a single value among the units that are."""
    pairable = data[:, (~np.isnan(data)).sum(axis=0) >= 2]
    if np.unique(pairable[~np.isnan(pairable)]).size < 2:
        return None
    return krippendorff_alpha(data, "nominal")


@dataclass(frozen=True)
class Membership:
    """Entity membership agreement of two annotators over the ``objects`` both covered:
    ``comembership_f1`` over the pairs of objects each put in one entity (1.0 when neither
    grouped any two), ``bcubed_f1`` the B-cubed F1 (Bagga & Baldwin 1998: per object, the
    overlap of its two clusters, an object in several entities clustered with all their
    members); both ``None`` without shared objects."""

    objects: int
    comembership_f1: float | None
    bcubed_f1: float | None


def membership_agreement(
    first: WorkLike, second: WorkLike, *, similar: Similarity = geometry_similarity
) -> Membership:
    """How far two annotators group the objects both covered into the same entities."""
    return _membership(_Objects({"0": as_work(first), "1": as_work(second)}, similar))


def _membership(objects: _Objects) -> Membership:
    one, other = objects.works
    shared = np.flatnonzero(objects.coverage(one) & objects.coverage(other))
    if not shared.size:
        return Membership(0, None, None)
    first, second = (objects.together(who)[shared][:, shared] for who in (one, other))
    both = first.multiply(second)
    pairs = [matrix.count_nonzero() // 2 for matrix in (both, first, second)]
    # B-cubed: each object's cluster is itself and whatever shares an entity with it
    common, own, theirs = (1 + matrix.sum(axis=1) for matrix in (both, first, second))
    precision, recall = float((common / own).mean()), float((common / theirs).mean())
    bcubed = 2 * precision * recall / (precision + recall)
    return Membership(len(shared), _f1(*pairs), bcubed)


def membership_alpha(
    works: Mapping[str, WorkLike], *, similar: Similarity = geometry_similarity
) -> float | None:
    """Krippendorff's α (nominal) over the pairs of objects: each annotator's value 1 (in
    one entity) or 0, missing where they do not cover both; ``None`` where undefined."""
    return _membership_alpha(_Objects(_works(works), similar))


def _membership_alpha(objects: _Objects) -> float | None:
    """The pairs are far too many to list (`krippendorff` wants one row per unit), but
    they fall into few *profiles*: how many annotators cover both objects and how many of
    those grouped them. The pairs nobody grouped are counted by the annotators' coverage
    patterns; the few that someone grouped, one by one; α follows from the profiles'
    coincidences, as the library computes it (the tests compare the two)."""
    annotators = len(objects.works)
    coverage = np.array([objects.coverage(who) for who in objects.works], bool).reshape(
        annotators, objects.count
    )
    grouped = sparse.csr_array((objects.count,) * 2, dtype=np.int64)
    for who in objects.works:
        grouped = grouped + objects.together(who).astype(np.int64)
    grouped = sparse.triu(grouped, k=1).tocoo()
    covering = (coverage[:, grouped.row] & coverage[:, grouped.col]).sum(axis=0)
    patterns, sizes = np.unique(coverage.T, axis=0, return_counts=True)
    shared = (patterns[:, None, :] & patterns[None, :, :]).sum(axis=2)
    pairs = np.outer(sizes, sizes).astype(float)
    np.fill_diagonal(pairs, sizes * (sizes - 1) / 2)
    upper = np.triu_indices(len(sizes))
    profiles = np.zeros((annotators + 1, annotators + 1))  # [covering, grouping]: pairs
    np.add.at(profiles, (shared[upper], 0), pairs[upper])
    np.add.at(profiles, (covering, 0), -1)
    np.add.at(profiles, (covering, grouped.data), 1)
    return _binary_alpha(profiles)


def _binary_alpha(profiles: NDArray[np.float64]) -> float | None:
    """Nominal α of 0/1 values from how many units have each profile (values given,
    ones among them); ``None`` where undefined."""
    given, ones = np.indices(profiles.shape)
    weight = np.where(given >= 2, profiles, 0.0) / np.maximum(given - 1, 1)
    zeros = given - ones
    apart = (weight * zeros * ones).sum()  # the coincidences of a 0 with a 1
    zero = (weight * zeros * (zeros - 1)).sum() + apart
    one = (weight * ones * (ones - 1)).sum() + apart
    if zero * one == 0:
        return None
    return float(1 - (zero + one - 1) * apart / (zero * one))


@dataclass(frozen=True)
class PairAgreement:
    """Link and entity membership agreement of two annotators (objects of the two only)."""

    first: str
    second: str
    links: LinkF1
    membership: Membership


@dataclass(frozen=True)
class SampleLinkAgreement:
    """Cross-modal agreement of the annotators of one sample: every pair's, and
    Krippendorff's α over all of them (``None`` where undefined) of link units and of
    entity membership."""

    annotators: tuple[str, ...]
    pairs: tuple[PairAgreement, ...]
    link_units: LinkUnits
    link_alpha: float | None
    membership_alpha: float | None

    def to_json(self) -> dict[str, Any]:
        """The result as plain values (tuples, which JSON writes as arrays)."""
        return asdict(self)


def sample_link_agreement(
    work: Mapping[str, WorkLike],
    *,
    undirected: Collection[str] = (),
    similar: Similarity = geometry_similarity,
) -> SampleLinkAgreement:
    """All of this module's measures for each annotator's `work` on one sample (two or
    more, the first the pivot; `split_by_author` makes it from a shared sample)."""
    works = _works(work)
    pairs = []
    for one, other in itertools.combinations(works, 2):
        objects = _Objects({one: works[one], other: works[other]}, similar)
        pairs.append(PairAgreement(one, other, _link_f1(objects, undirected), _membership(objects)))
    everyone = objects if len(works) == 2 else _Objects(works, similar)
    units = _link_units(everyone, undirected)
    return SampleLinkAgreement(
        annotators=tuple(works),
        pairs=tuple(pairs),
        link_units=units,
        link_alpha=units.alpha(),
        membership_alpha=_membership_alpha(everyone),
    )


def _works(work: Mapping[str, WorkLike]) -> dict[str, Work]:
    if len(work) < 2:
        raise ValueError(f"agreement needs two or more annotators' work, got {len(work)}")
    return {who: as_work(done) for who, done in work.items()}
