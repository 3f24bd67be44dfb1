"""The rules every write obeys, human or model.

Each check raises `RuleViolation` naming the object, the field and the rule. Rules:

- ``stream-exists``        an annotation's stream is a stream of its sample
- ``geometry-modality``    the geometry kind may sit on the stream's modality
- ``media-info``           the stream's media info has what the bounds check needs
- ``inside-bounds``        box/polygon/mask/keypoints/track inside the image or frame,
                           span inside the text, interval/segment inside the duration,
                           frame index inside the frame count
- ``mask-size``            an RLE mask has the image's size and decodes
- ``label-known``          the label is a class of the ontology
- ``label-deprecated``     a new label is not a deprecated class
- ``label-geometry``       the class allows this geometry kind
- ``attribute-known`` / ``attribute-value`` / ``attribute-required``
- ``ids-unique``           ids are unique within a sample
- ``entity-member``        entity members are annotations of the sample, each listed once
- ``entity-labels``        entity members (and the entity label) are the same class or is-a related
- ``relation-known`` / ``link-endpoint`` / ``link-self`` / ``link-direction``

Preference samples (`rosetta.core.preference`):

- ``candidate-count``      a sample with candidates has at least two
- ``candidate-streams``    a candidate's streams are streams of its sample, none in two candidates
- ``judgement-author``     one judgement per author on a sample
- ``judgement-candidate``  what a judgement presents, pairs, ranks and scores are its sample's
                           candidates
- ``judgement-criterion``  a score's criterion is one of the ontology's rubric
- ``judgement-score``      a score lies on its criterion's scale
- ``judgement-rationale``  the rationale is a text stream of the sample that is no
                           candidate's and no other judgement's
"""

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from rosetta.core.clock import compile_clock
from rosetta.core.errors import RuleViolation
from rosetta.core.geometry import (
    GEOMETRY_MODALITIES,
    TRACK_SHAPE_MODALITIES,
    Box,
    Interval,
    Keypoints,
    Mask,
    Polygon,
    TextSpan,
    Track,
    TranscriptSegment,
)
from rosetta.core.modality import Modality
from rosetta.core.ontology import EndpointRule, Ontology
from rosetta.core.preference import Candidate, Judgement
from rosetta.core.schema import Annotation, Entity, Link, MediaInfo, Sample, Stream

EPSILON = 1e-6


def _fail(obj: str, field: str, rule: str, detail: str) -> RuleViolation:
    return RuleViolation(obj, field, rule, detail)


def _need(media: MediaInfo, attr: str, obj: str, stream: Stream) -> Any:
    value = getattr(media, attr)
    if value is None:
        raise _fail(
            obj,
            "geometry",
            "media-info",
            f"stream {stream.id!r} has no {attr} in its media info; probe the media first",
        )
    return value


def _check_frame(frame: int | None, field: str, obj: str, stream: Stream) -> None:
    if stream.modality is Modality.VIDEO:
        if frame is None:
            raise _fail(obj, field, "inside-bounds", "a shape on a video needs its frame index")
        count = _need(stream.media, "frame_count", obj, stream)
        if frame >= count:
            raise _fail(
                obj, field, "inside-bounds", f"frame {frame} is past the last frame ({count - 1})"
            )
    elif frame is not None:
        raise _fail(
            obj,
            field,
            "inside-bounds",
            f"a frame index needs a video stream, not {stream.modality}",
        )


def _check_points(
    points: Iterable[tuple[float, float] | tuple[float, float, int]],
    field: str,
    obj: str,
    stream: Stream,
) -> None:
    """Points ``[x, y]`` or keypoints ``[x, y, v]`` (absent ones, ``v = 0``, may lie anywhere)."""
    width = _need(stream.media, "width", obj, stream)
    height = _need(stream.media, "height", obj, stream)
    for index, (x, y, *visibility) in enumerate(points):
        if visibility == [0]:
            continue
        if not (-EPSILON <= x <= width + EPSILON and -EPSILON <= y <= height + EPSILON):
            raise _fail(
                obj,
                f"{field}[{index}]",
                "inside-bounds",
                f"point ({x}, {y}) is outside the {width}x{height} image",
            )


def _check_rect(
    x: float, y: float, w: float, h: float, *, field: str, obj: str, stream: Stream
) -> None:
    width = _need(stream.media, "width", obj, stream)
    height = _need(stream.media, "height", obj, stream)
    if x < -EPSILON or y < -EPSILON or x + w > width + EPSILON or y + h > height + EPSILON:
        raise _fail(
            obj,
            field,
            "inside-bounds",
            f"box x={x} y={y} w={w} h={h} must lie inside the {width}x{height} image",
        )


def _check_time(start: float, end: float, field: str, obj: str, stream: Stream) -> None:
    """`[start, end)` (reference seconds) must fall inside the stream's media: mapped to the
    media's own seconds (local time since its first index, `rosetta.core.clock`) when the
    stream has a clock of its own (an offset, a drift, a timestamp table), else taken as
    they are."""
    duration = _need(stream.media, "duration", obj, stream)
    local_start, local_end = float(start), float(end)
    if stream.clock is not None:
        clock = compile_clock(stream.clock)
        origin = clock.to_local(clock.time_of(0))
        local_start = float(clock.to_local(start) - origin)
        local_end = float(clock.to_local(end) - origin)
    if local_start < -EPSILON or local_end > duration + EPSILON:
        where = "" if stream.clock is None else f" (its [{local_start:g}, {local_end:g}) s)"
        raise _fail(
            obj,
            field,
            "inside-bounds",
            f"[{start}, {end}) s{where} must lie inside the stream's duration ({duration} s)",
        )


def check_geometry(annotation: Annotation, stream: Stream) -> None:
    """Check that the annotation's geometry may sit on `stream` and lies inside its bounds."""
    obj = f"annotation {annotation.id!r}"
    geometry = annotation.geometry
    if stream.modality not in GEOMETRY_MODALITIES[geometry.type]:
        raise _fail(
            obj,
            "geometry.type",
            "geometry-modality",
            f"a {geometry.type} cannot sit on a {stream.modality} stream",
        )
    if isinstance(geometry, TextSpan):
        length = stream.media.length
        if length is None and stream.text is not None:
            length = len(stream.text)
        if length is None:
            raise _fail(
                obj, "geometry", "media-info", f"text stream {stream.id!r} has no text length"
            )
        if geometry.end > length:
            raise _fail(
                obj,
                "geometry.end",
                "inside-bounds",
                f"span [{geometry.start}, {geometry.end}) must lie inside the text (length {length})",
            )
    elif isinstance(geometry, Box):
        _check_frame(geometry.frame, "geometry.frame", obj, stream)
        _check_rect(
            geometry.x, geometry.y, geometry.w, geometry.h, field="geometry", obj=obj, stream=stream
        )
    elif isinstance(geometry, Polygon | Keypoints):
        _check_frame(geometry.frame, "geometry.frame", obj, stream)
        _check_points(geometry.points, "geometry.points", obj, stream)
    elif isinstance(geometry, Mask):
        _check_frame(geometry.frame, "geometry.frame", obj, stream)
        _check_mask(geometry, obj, stream)
    elif isinstance(geometry, Track):
        _check_track(geometry, obj, stream)
    elif isinstance(geometry, Interval | TranscriptSegment):
        _check_time(geometry.start, geometry.end, "geometry", obj, stream)


def _check_track(track: Track, obj: str, stream: Stream) -> None:
    if stream.modality not in TRACK_SHAPE_MODALITIES[track.kind]:
        raise _fail(
            obj,
            "geometry.shape",
            "geometry-modality",
            f"a {track.kind} track cannot sit on a {stream.modality} stream",
        )
    for index, key in enumerate(track.keyframes):
        field = f"geometry.keyframes[{index}]"
        if stream.modality is Modality.VIDEO:
            _check_frame(key.frame, f"{field}.frame", obj, stream)
        elif stream.media.frame_count is not None and key.frame >= stream.media.frame_count:
            raise _fail(
                obj,
                f"{field}.frame",
                "inside-bounds",
                f"sweep {key.frame} is past the last one ({stream.media.frame_count - 1})",
            )
        if key.points is not None:
            _check_points(key.points, f"{field}.points", obj, stream)
        elif key.x is not None and key.y is not None and key.w is not None and key.h is not None:
            _check_rect(key.x, key.y, key.w, key.h, field=field, obj=obj, stream=stream)


def _check_mask(mask: Mask, obj: str, stream: Stream) -> None:
    width = _need(stream.media, "width", obj, stream)
    height = _need(stream.media, "height", obj, stream)
    if tuple(mask.rle.size) != (height, width):
        raise _fail(
            obj,
            "geometry.rle.size",
            "mask-size",
            f"mask size {list(mask.rle.size)} must be the image's [height, width] = [{height}, {width}]",
        )
    try:
        runs = mask.rle.runs()
    except ValueError as exc:
        raise _fail(obj, "geometry.rle.counts", "mask-size", str(exc)) from exc
    if min(runs, default=0) < 0 or sum(runs) != height * width:
        raise _fail(
            obj,
            "geometry.rle.counts",
            "mask-size",
            f"the runs cover {sum(runs)} pixels (with negative runs: {any(r < 0 for r in runs)}); "
            f"a {height}x{width} mask has {height * width}",
        )


def check_label(annotation: Annotation, ontology: Ontology, *, allow_deprecated: bool) -> None:
    """Check the label against the ontology: known, allowed for the geometry, attributes valid."""
    obj = f"annotation {annotation.id!r}"
    cls = ontology.class_map.get(annotation.label)
    if cls is None:
        raise _fail(
            obj,
            "label",
            "label-known",
            f"{annotation.label!r} is not a class of ontology version {ontology.version}",
        )
    if cls.deprecated and not allow_deprecated:
        raise _fail(obj, "label", "label-deprecated", f"class {cls.name!r} is deprecated")
    allowed = ontology.allowed_geometries(cls.name)
    if allowed is not None and annotation.geometry.type not in allowed:
        raise _fail(
            obj,
            "geometry.type",
            "label-geometry",
            f"class {cls.name!r} allows {sorted(allowed)}, not {annotation.geometry.type}",
        )
    check_attributes(obj, annotation.attributes, ontology.attributes_of(cls.name), cls.name)


def check_attributes(
    obj: str, values: Mapping[str, Any], defs: Mapping[str, Any], owner: str
) -> None:
    """Check attribute values against their definitions (unknown, required, value type)."""
    for name, value in values.items():
        definition = defs.get(name)
        if definition is None:
            raise _fail(
                obj, f"attributes.{name}", "attribute-known", f"{owner!r} has no attribute {name!r}"
            )
        problem = definition.problem(value)
        if problem is not None:
            raise _fail(obj, f"attributes.{name}", "attribute-value", problem)
    for name, definition in defs.items():
        if definition.required and name not in values:
            raise _fail(
                obj, f"attributes.{name}", "attribute-required", f"{owner!r} requires {name!r}"
            )


def check_annotation(
    annotation: Annotation,
    streams: Mapping[str, Stream],
    ontology: Ontology,
    *,
    allow_deprecated: bool = False,
) -> None:
    """Every rule for one annotation of a sample whose streams are `streams`."""
    obj = f"annotation {annotation.id!r}"
    if annotation.stream is None:
        if annotation.geometry.type != "classification":
            raise _fail(obj, "stream", "stream-exists", "only a classification may omit its stream")
    else:
        stream = streams.get(annotation.stream)
        if stream is None:
            raise _fail(
                obj,
                "stream",
                "stream-exists",
                f"{annotation.stream!r} is not a stream of the sample",
            )
        check_geometry(annotation, stream)
    check_label(annotation, ontology, allow_deprecated=allow_deprecated)


def check_entity(
    entity: Entity,
    annotations: Mapping[str, Annotation],
    ontology: Ontology,
    *,
    allow_deprecated: bool = True,
) -> None:
    """Members exist once each, and all their labels (and the entity's) lie on one is-a chain."""
    obj = f"entity {entity.id!r}"
    labels: list[tuple[str, str]] = []
    if entity.label is not None:
        cls = ontology.class_map.get(entity.label)
        if cls is None:
            raise _fail(
                obj, "label", "label-known", f"{entity.label!r} is not a class of the ontology"
            )
        if cls.deprecated and not allow_deprecated:
            raise _fail(obj, "label", "label-deprecated", f"class {cls.name!r} is deprecated")
        labels.append(("label", entity.label))
    seen: set[str] = set()
    for index, member in enumerate(entity.members):
        annotation = annotations.get(member)
        if annotation is None:
            raise _fail(
                obj,
                f"members[{index}]",
                "entity-member",
                f"{member!r} is not an annotation of the sample",
            )
        if member in seen:
            raise _fail(obj, f"members[{index}]", "entity-member", f"{member!r} is listed twice")
        seen.add(member)
        labels.append((f"members[{index}]", annotation.label))
    if not labels:
        return
    deepest = max(labels, key=lambda item: len(ontology.ancestors(item[1])))
    for field, label in labels:
        if not ontology.is_a(deepest[1], label):
            raise _fail(
                obj,
                field,
                "entity-labels",
                f"label {label!r} is neither the same class as nor is-a related to {deepest[1]!r}",
            )


Endpoint = Annotation | Entity


def _endpoint_problem(
    rule: EndpointRule,
    endpoint: Endpoint,
    streams: Mapping[str, Stream],
    annotations: Mapping[str, Annotation],
    ontology: Ontology,
) -> str | None:
    if isinstance(endpoint, Entity):
        if not rule.entity:
            return "an entity is not allowed at this end"
        if rule.classes:
            labels = (
                [endpoint.label]
                if endpoint.label
                else [annotations[m].label for m in endpoint.members]
            )
            if not any(ontology.is_a(label, cls) for label in labels for cls in rule.classes):
                return f"the entity's label must be one of {rule.classes} (or below)"
        return None
    if rule.geometries is not None and endpoint.geometry.type not in rule.geometries:
        return f"geometry must be one of {rule.geometries}, not {endpoint.geometry.type}"
    if rule.modalities is not None:
        modality = streams[endpoint.stream].modality if endpoint.stream is not None else None
        if modality not in rule.modalities:
            return f"modality must be one of {[str(m) for m in rule.modalities]}, not {modality}"
    if rule.classes and not any(ontology.is_a(endpoint.label, cls) for cls in rule.classes):
        return f"label must be one of {rule.classes} (or below), not {endpoint.label!r}"
    return None


def check_link(
    link: Link,
    endpoints: Mapping[str, Endpoint],
    streams: Mapping[str, Stream],
    annotations: Mapping[str, Annotation],
    ontology: Ontology,
) -> None:
    """The relation type exists and both ends satisfy its endpoint rules and direction."""
    obj = f"link {link.id!r}"
    relation = ontology.relation_map.get(link.type)
    if relation is None:
        raise _fail(
            obj, "type", "relation-known", f"{link.type!r} is not a relation type of the ontology"
        )
    if link.source == link.target:
        raise _fail(obj, "target", "link-self", "a link cannot join an object to itself")
    source = endpoints.get(link.source)
    if source is None:
        raise _fail(
            obj,
            "source",
            "link-endpoint",
            f"{link.source!r} is not an annotation or entity of the sample",
        )
    target = endpoints.get(link.target)
    if target is None:
        raise _fail(
            obj,
            "target",
            "link-endpoint",
            f"{link.target!r} is not an annotation or entity of the sample",
        )
    source_problem = _endpoint_problem(relation.source, source, streams, annotations, ontology)
    target_problem = _endpoint_problem(relation.target, target, streams, annotations, ontology)
    if source_problem is None and target_problem is None:
        return
    if not relation.directed:
        reverse = (
            _endpoint_problem(relation.source, target, streams, annotations, ontology),
            _endpoint_problem(relation.target, source, streams, annotations, ontology),
        )
        if reverse == (None, None):
            return
    elif (
        _endpoint_problem(relation.source, target, streams, annotations, ontology) is None
        and _endpoint_problem(relation.target, source, streams, annotations, ontology) is None
    ):
        raise _fail(
            obj,
            "source",
            "link-direction",
            f"{link.type!r} is directed source → target; these ends are the wrong way round",
        )
    field, problem = ("source", source_problem) if source_problem else ("target", target_problem)
    raise _fail(obj, field, "link-endpoint", f"{link.type!r} {field}: {problem}")


def check_sample(sample: Sample, ontology: Ontology, *, allow_deprecated: bool = True) -> None:
    """Every rule for a whole sample. Field paths in errors start at the sample's lists."""
    obj = f"sample {sample.id!r}"
    streams: dict[str, Stream] = {}
    annotations: dict[str, Annotation] = {}
    endpoints: dict[str, Endpoint] = {}
    seen: set[str] = {sample.id}
    groups: tuple[
        tuple[str, Sequence[Stream | Annotation | Entity | Link | Candidate | Judgement]], ...
    ] = (
        ("streams", sample.streams),
        ("annotations", sample.annotations),
        ("entities", sample.entities),
        ("links", sample.links),
        ("candidates", sample.candidates),
        ("judgements", sample.judgements),
    )
    for kind, items in groups:
        for index, item in enumerate(items):
            if item.id in seen:
                raise _fail(
                    obj, f"{kind}[{index}].id", "ids-unique", f"id {item.id!r} is used twice"
                )
            seen.add(item.id)
    for stream in sample.streams:
        streams[stream.id] = stream
    for index, annotation in enumerate(sample.annotations):
        try:
            check_annotation(annotation, streams, ontology, allow_deprecated=allow_deprecated)
        except RuleViolation as exc:
            raise exc.within(f"annotations[{index}]") from None
        annotations[annotation.id] = annotation
        endpoints[annotation.id] = annotation
    for index, entity in enumerate(sample.entities):
        try:
            check_entity(entity, annotations, ontology, allow_deprecated=allow_deprecated)
        except RuleViolation as exc:
            raise exc.within(f"entities[{index}]") from None
        endpoints[entity.id] = entity
    for index, link in enumerate(sample.links):
        try:
            check_link(link, endpoints, streams, annotations, ontology)
        except RuleViolation as exc:
            raise exc.within(f"links[{index}]") from None
    check_preference(sample, ontology)


def check_preference(sample: Sample, ontology: Ontology) -> None:
    """The rules of a preference sample: its candidates, and its judgements against them
    and the ontology's rubric (ids are checked by `check_sample`)."""
    obj = f"sample {sample.id!r}"
    streams = {stream.id: stream for stream in sample.streams}
    owner: dict[str, str] = {}
    if len(sample.candidates) == 1:
        raise _fail(
            obj, "candidates", "candidate-count", "a preference sample needs two candidates or more"
        )
    for index, candidate in enumerate(sample.candidates):
        for place, stream_id in enumerate(candidate.streams):
            field = f"candidates[{index}].streams[{place}]"
            if stream_id not in streams:
                raise _fail(
                    obj, field, "candidate-streams", f"{stream_id!r} is not a stream of the sample"
                )
            if stream_id in owner:
                raise _fail(
                    obj,
                    field,
                    "candidate-streams",
                    f"stream {stream_id!r} is part of candidate {owner[stream_id]!r} already",
                )
            owner[stream_id] = candidate.id
    known = {candidate.id for candidate in sample.candidates}
    authors: set[str] = set()
    rationales: set[str] = set()
    for index, judgement in enumerate(sample.judgements):
        field = f"judgements[{index}]"
        if judgement.author is not None:
            if judgement.author in authors:
                raise _fail(
                    obj,
                    f"{field}.author",
                    "judgement-author",
                    f"{judgement.author!r} has judged this sample already",
                )
            authors.add(judgement.author)
        check_judgement(judgement, known, streams, owner, ontology, obj=obj, field=field)
        if judgement.rationale is not None:
            if judgement.rationale in rationales:
                raise _fail(
                    obj,
                    f"{field}.rationale",
                    "judgement-rationale",
                    f"stream {judgement.rationale!r} holds another judgement's rationale",
                )
            rationales.add(judgement.rationale)


def check_judgement(
    judgement: Judgement,
    candidates: Collection[str],
    streams: Mapping[str, Stream],
    candidate_of: Mapping[str, str],
    ontology: Ontology,
    *,
    obj: str,
    field: str = "",
) -> None:
    """One judgement against its sample's candidate ids, streams (`candidate_of`: the
    candidate each candidate stream belongs to) and the ontology's rubric; error fields
    start with `field`."""
    prefix = f"{field}." if field else ""

    def candidate(ident: str, at: str) -> None:
        if ident not in candidates:
            raise _fail(
                obj,
                prefix + at,
                "judgement-candidate",
                f"{ident!r} is not a candidate of the sample",
            )

    for index, ident in enumerate(judgement.presented):
        candidate(ident, f"presented[{index}]")
    for index, pair in enumerate(judgement.pairs):
        candidate(pair.a, f"pairs[{index}].a")
        candidate(pair.b, f"pairs[{index}].b")
    for rank, tier in enumerate(judgement.ranking):
        for index, ident in enumerate(tier):
            candidate(ident, f"ranking[{rank}][{index}]")
    rubric = {criterion.name: criterion for criterion in ontology.rubric}
    for index, score in enumerate(judgement.scores):
        candidate(score.candidate, f"scores[{index}].candidate")
        criterion = rubric.get(score.criterion)
        if criterion is None:
            names = ", ".join(sorted(rubric)) or "none"
            raise _fail(
                obj,
                f"{prefix}scores[{index}].criterion",
                "judgement-criterion",
                f"{score.criterion!r} is not a criterion of the rubric (it has: {names})",
            )
        if not criterion.low <= score.value <= criterion.high:
            raise _fail(
                obj,
                f"{prefix}scores[{index}].value",
                "judgement-score",
                f"{score.value} is off the scale of {criterion.name!r} "
                f"({criterion.low}..{criterion.high})",
            )
    rationale = judgement.rationale
    if rationale is not None:
        stream = streams.get(rationale)
        problem = None
        if stream is None:
            problem = "is not a stream of the sample"
        elif stream.modality is not Modality.TEXT:
            problem = f"is a {stream.modality} stream, not text"
        elif rationale in candidate_of:
            problem = f"is part of candidate {candidate_of[rationale]!r}"
        if problem is not None:
            raise _fail(
                obj,
                f"{prefix}rationale",
                "judgement-rationale",
                f"the rationale stream {rationale!r} {problem}",
            )
