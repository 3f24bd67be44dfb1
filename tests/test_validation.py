"""Every rule of `rosetta.core.validation`, each with a failing and a passing case.

The failing cases assert the rule and the field the error names.
"""

from typing import Any

import numpy as np
import pytest
from pycocotools import mask as coco_mask

from rosetta.core.errors import RuleViolation
from rosetta.core.geometry import (
    Box,
    Classification,
    Cuboid,
    Interval,
    Keypoints,
    Mask,
    Polygon,
    Rle,
    TextSpan,
    Track,
    TrackFrame,
    TranscriptSegment,
)
from rosetta.core.modality import Modality
from rosetta.core.ontology import parse_ontology
from rosetta.core.schema import Annotation, Entity, Link, MediaInfo, Sample, Stream
from rosetta.core.validation import (
    check_annotation,
    check_entity,
    check_label,
    check_link,
    check_sample,
)

ONTOLOGY = parse_ontology(
    {
        "classes": [
            {"name": "thing"},
            {
                "name": "person",
                "parent": "thing",
                "attributes": [
                    {"name": "role", "type": "enum", "values": ["pilot", "crew"]},
                    {"name": "occluded", "type": "bool"},
                    {"name": "age", "type": "number", "min": 0, "max": 130},
                    {"name": "nickname", "type": "text", "max_length": 8, "pattern": "[a-z]+"},
                ],
            },
            {"name": "pilot", "parent": "person"},
            {"name": "animal", "parent": "thing"},
            {
                "name": "badge",
                "parent": "thing",
                "attributes": [
                    {"name": "level", "type": "enum", "values": ["a", "b"], "required": True},
                    {"name": "valid", "type": "bool", "required": True},
                    {"name": "number", "type": "number", "required": True},
                    {"name": "code", "type": "text", "required": True},
                ],
            },
            {"name": "speech", "geometries": ["interval", "transcript"]},
            {"name": "monologue", "parent": "speech"},
            {"name": "old", "parent": "thing", "deprecated": True},
        ],
        "relations": [
            {
                "name": "refers-to",
                "source": {"geometries": ["span"], "entity": False},
                "target": {"modalities": ["image", "video"]},
            },
            {
                "name": "caption-of",
                "directed": False,
                "source": {"geometries": ["span"]},
                "target": {"geometries": ["box"]},
            },
            {"name": "same-as", "directed": False},
            {
                "name": "speaker-of",
                "source": {"classes": ["person"]},
                "target": {"classes": ["speech"], "entity": False},
            },
        ],
    }
)

TEXT = "Hello world"
STREAMS = {
    s.id: s
    for s in [
        Stream(id="text", name="t", modality=Modality.TEXT, media=MediaInfo(length=len(TEXT))),
        Stream(id="inline", name="i", modality=Modality.TEXT, text=TEXT),
        Stream(id="blank", name="b", modality=Modality.TEXT),
        Stream(
            id="image", name="p", modality=Modality.IMAGE, media=MediaInfo(width=512, height=512)
        ),
        Stream(id="unprobed", name="u", modality=Modality.IMAGE),
        Stream(
            id="video",
            name="v",
            modality=Modality.VIDEO,
            media=MediaInfo(
                width=320, height=240, duration=9.76, frame_rate="25/1", frame_count=244
            ),
        ),
        Stream(id="audio", name="a", modality=Modality.AUDIO, media=MediaInfo(duration=9.76)),
        Stream(id="lidar", name="l", modality=Modality.POINTCLOUD),
    ]
}


def _rle(height: int, width: int) -> Rle:
    pixels = np.zeros((height, width), dtype=np.uint8)
    pixels[10:20, 30:50] = 1
    encoded = coco_mask.encode(np.asfortranarray(pixels))
    return Rle(size=(height, width), counts=encoded["counts"].decode("ascii"))


def _ann(
    geometry: Any, stream: str | None = "image", label: str = "thing", **attributes: Any
) -> Annotation:
    return Annotation(id="a", stream=stream, label=label, geometry=geometry, attributes=attributes)


def _violation(call: Any, *args: Any, **kwargs: Any) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        call(*args, **kwargs)
    return caught.value


def _key(fields: list[tuple[float, float, float, float]]) -> list[TrackFrame]:
    return [TrackFrame(frame=int(f), x=x, y=y, w=w, h=10) for f, x, y, w in fields]


# (id, annotation, rule, field) — each fails exactly this rule
FAILING = [
    ("stream-exists unknown", _ann(Box(x=0, y=0, w=1, h=1), "nowhere"), "stream-exists", "stream"),
    ("stream-exists missing", _ann(Box(x=0, y=0, w=1, h=1), None), "stream-exists", "stream"),
    (
        "geometry-modality",
        _ann(Box(x=0, y=0, w=1, h=1), "audio"),
        "geometry-modality",
        "geometry.type",
    ),
    (
        "geometry-modality cuboid",
        _ann(Cuboid(center=(0, 0, 0), size=(1, 1, 1)), "video"),
        "geometry-modality",
        "geometry.type",
    ),
    ("media-info image", _ann(Box(x=0, y=0, w=1, h=1), "unprobed"), "media-info", "geometry"),
    ("media-info text", _ann(TextSpan(start=0, end=1), "blank"), "media-info", "geometry"),
    ("box", _ann(Box(x=450, y=0, w=100, h=10)), "inside-bounds", "geometry"),
    ("box negative", _ann(Box(x=-1, y=0, w=10, h=10)), "inside-bounds", "geometry"),
    (
        "polygon",
        _ann(Polygon(points=[(0, 0), (513, 0), (0, 10)])),
        "inside-bounds",
        "geometry.points[1]",
    ),
    (
        "keypoints",
        _ann(Keypoints(points=[(600, 1, 0), (700, 5, 2)])),
        "inside-bounds",
        "geometry.points[1]",
    ),
    (
        "keypoints hidden",
        _ann(Keypoints(points=[(5, -3, 1)])),
        "inside-bounds",
        "geometry.points[0]",
    ),
    (
        "mask frame on image",
        _ann(Mask(rle=_rle(512, 512), frame=0)),
        "inside-bounds",
        "geometry.frame",
    ),
    (
        "mask past last frame",
        _ann(Mask(rle=_rle(240, 320), frame=244), "video"),
        "inside-bounds",
        "geometry.frame",
    ),
    (
        "track box",
        _ann(Track(keyframes=_key([(0, 0, 0, 10), (5, 300, 0, 30)])), "video"),
        "inside-bounds",
        "geometry.keyframes[1]",
    ),
    (
        "track frame",
        _ann(Track(keyframes=_key([(244, 0, 0, 10)])), "video"),
        "inside-bounds",
        "geometry.keyframes[0].frame",
    ),
    ("span", _ann(TextSpan(start=0, end=12), "text"), "inside-bounds", "geometry.end"),
    (
        "span inline text",
        _ann(TextSpan(start=5, end=12), "inline"),
        "inside-bounds",
        "geometry.end",
    ),
    ("interval", _ann(Interval(start=9.0, end=9.8), "audio"), "inside-bounds", "geometry"),
    (
        "transcript",
        _ann(TranscriptSegment(start=9.0, end=10.0, text="hi"), "video"),
        "inside-bounds",
        "geometry",
    ),
    (
        "frame index past the end",
        _ann(Box(x=0, y=0, w=1, h=1, frame=244), "video"),
        "inside-bounds",
        "geometry.frame",
    ),
    (
        "frame index missing on video",
        _ann(Box(x=0, y=0, w=1, h=1), "video"),
        "inside-bounds",
        "geometry.frame",
    ),
    (
        "frame index on an image",
        _ann(Box(x=0, y=0, w=1, h=1, frame=0)),
        "inside-bounds",
        "geometry.frame",
    ),
    ("mask size", _ann(Mask(rle=_rle(100, 100))), "mask-size", "geometry.rle.size"),
    (
        "mask runs short",
        _ann(Mask(rle=Rle(size=(512, 512), counts="d0"))),
        "mask-size",
        "geometry.rle.counts",
    ),
    (
        "mask not rle",
        _ann(Mask(rle=Rle(size=(512, 512), counts="~~~"))),
        "mask-size",
        "geometry.rle.counts",
    ),
    (
        "mask cut short",
        _ann(Mask(rle=Rle(size=(512, 512), counts="P"))),
        "mask-size",
        "geometry.rle.counts",
    ),
    ("label-known", _ann(Box(x=0, y=0, w=1, h=1), label="dragon"), "label-known", "label"),
    ("label-deprecated", _ann(Box(x=0, y=0, w=1, h=1), label="old"), "label-deprecated", "label"),
    (
        "label-geometry",
        _ann(Box(x=0, y=0, w=1, h=1), label="speech"),
        "label-geometry",
        "geometry.type",
    ),
    (
        "label-geometry inherited",
        _ann(Box(x=0, y=0, w=1, h=1), label="monologue"),
        "label-geometry",
        "geometry.type",
    ),
    (
        "attribute-known",
        _ann(Box(x=0, y=0, w=1, h=1), label="person", hat=True),
        "attribute-known",
        "attributes.hat",
    ),
    (
        "attribute-known inherited only downwards",
        _ann(Box(x=0, y=0, w=1, h=1), label="thing", role="pilot"),
        "attribute-known",
        "attributes.role",
    ),
    (
        "enum value",
        _ann(Box(x=0, y=0, w=1, h=1), label="pilot", role="king"),
        "attribute-value",
        "attributes.role",
    ),
    (
        "bool value",
        _ann(Box(x=0, y=0, w=1, h=1), label="person", occluded="yes"),
        "attribute-value",
        "attributes.occluded",
    ),
    (
        "number value",
        _ann(Box(x=0, y=0, w=1, h=1), label="person", age="7"),
        "attribute-value",
        "attributes.age",
    ),
    (
        "number is not bool",
        _ann(Box(x=0, y=0, w=1, h=1), label="person", age=True),
        "attribute-value",
        "attributes.age",
    ),
    (
        "number max",
        _ann(Box(x=0, y=0, w=1, h=1), label="person", age=131),
        "attribute-value",
        "attributes.age",
    ),
    (
        "number min",
        _ann(Box(x=0, y=0, w=1, h=1), label="person", age=-1),
        "attribute-value",
        "attributes.age",
    ),
    (
        "text value",
        _ann(Box(x=0, y=0, w=1, h=1), label="person", nickname=5),
        "attribute-value",
        "attributes.nickname",
    ),
    (
        "text length",
        _ann(Box(x=0, y=0, w=1, h=1), label="person", nickname="abcdefghi"),
        "attribute-value",
        "attributes.nickname",
    ),
    (
        "text pattern",
        _ann(Box(x=0, y=0, w=1, h=1), label="person", nickname="Bob"),
        "attribute-value",
        "attributes.nickname",
    ),
]

BADGE = {"level": "a", "valid": False, "number": 0, "code": ""}

# each passes every rule (the counterpart of the failing cases above)
PASSING = [
    ("classification of the sample", _ann(Classification(), None)),
    ("classification of an audio stream", _ann(Classification(), "audio")),
    ("cuboid on a point cloud", _ann(Cuboid(center=(0, 0, 0), size=(1, 1, 1)), "lidar")),
    ("box touching the edge", _ann(Box(x=412, y=0, w=100, h=512))),
    ("polygon on the edge", _ann(Polygon(points=[(0, 0), (512, 0), (0, 512)]))),
    ("absent keypoint anywhere", _ann(Keypoints(points=[(600, 1, 0), (5, 5, 2)]))),
    ("mask", _ann(Mask(rle=_rle(512, 512)))),
    ("mask on the last frame", _ann(Mask(rle=_rle(240, 320), frame=243), "video")),
    ("track", _ann(Track(keyframes=_key([(0, 0, 0, 10), (243, 290, 0, 30)])), "video")),
    ("span to the end", _ann(TextSpan(start=0, end=11), "text")),
    ("span of inline text", _ann(TextSpan(start=6, end=11), "inline")),
    ("interval to the end", _ann(Interval(start=9.0, end=9.76), "audio")),
    ("transcript", _ann(TranscriptSegment(start=9.0, end=9.76, text="hi"), "video")),
    ("last frame index", _ann(Box(x=0, y=0, w=1, h=1, frame=243), "video")),
    ("speech interval", _ann(Interval(start=0, end=1), "audio", label="speech")),
    (
        "inherited geometry",
        _ann(TranscriptSegment(start=0, end=1, text="x"), "audio", label="monologue"),
    ),
    (
        "inherited attributes",
        _ann(
            Box(x=0, y=0, w=1, h=1),
            label="pilot",
            role="pilot",
            occluded=False,
            age=40.5,
            nickname="ace",
        ),
    ),
    ("number bounds", _ann(Box(x=0, y=0, w=1, h=1), label="person", age=130)),
    ("required attributes", _ann(Box(x=0, y=0, w=1, h=1), label="badge", **BADGE)),
]


@pytest.mark.parametrize(
    ("annotation", "rule", "field"),
    [pytest.param(a, r, f, id=name) for name, a, r, f in FAILING],
)
def test_an_annotation_breaking_a_rule_is_refused_naming_rule_and_field(
    annotation: Annotation, rule: str, field: str
) -> None:
    error = _violation(check_annotation, annotation, STREAMS, ONTOLOGY)
    assert (error.obj, error.rule, error.field) == ("annotation 'a'", rule, field)
    assert f"[rule: {rule}]" in str(error)


@pytest.mark.parametrize("annotation", [pytest.param(a, id=name) for name, a in PASSING])
def test_an_annotation_keeping_the_rules_passes(annotation: Annotation) -> None:
    check_annotation(annotation, STREAMS, ONTOLOGY)


@pytest.mark.parametrize("missing", list(BADGE))
def test_attribute_required_for_every_type(missing: str) -> None:
    values = {k: v for k, v in BADGE.items() if k != missing}
    annotation = _ann(Box(x=0, y=0, w=1, h=1), label="badge", **values)
    error = _violation(check_annotation, annotation, STREAMS, ONTOLOGY)
    assert (error.rule, error.field) == ("attribute-required", f"attributes.{missing}")


def test_a_deprecated_label_is_allowed_only_where_asked() -> None:
    kept = _ann(Box(x=0, y=0, w=1, h=1), label="old")
    check_label(kept, ONTOLOGY, allow_deprecated=True)
    error = _violation(check_label, kept, ONTOLOGY, allow_deprecated=False)
    assert error.rule == "label-deprecated"


# --- samples: ids ----------------------------------------------------------------------------


def _sample(**parts: Any) -> Sample:
    streams = [STREAMS["text"], STREAMS["image"], STREAMS["audio"]]
    return Sample(id="s", streams=streams, **parts)


def test_ids_unique() -> None:
    box = Annotation(id="image", stream="image", label="thing", geometry=Box(x=0, y=0, w=1, h=1))
    error = _violation(check_sample, _sample(annotations=[box]), ONTOLOGY)
    assert (error.obj, error.rule, error.field) == ("sample 's'", "ids-unique", "annotations[0].id")
    error = _violation(
        check_sample, _sample(links=[Link(id="s", type="x", source="a", target="b")]), ONTOLOGY
    )
    assert (error.rule, error.field) == ("ids-unique", "links[0].id")
    check_sample(_sample(annotations=[box.model_copy(update={"id": "b1"})]), ONTOLOGY)


def test_sample_errors_carry_the_path_of_the_part() -> None:
    bad = Annotation(id="b", stream="image", label="dragon", geometry=Box(x=0, y=0, w=1, h=1))
    good = bad.model_copy(update={"id": "g", "label": "thing"})
    error = _violation(check_sample, _sample(annotations=[good, bad]), ONTOLOGY)
    assert (error.rule, error.field) == ("label-known", "annotations[1].label")
    entity = Entity(id="e", members=["g", "nobody"])
    error = _violation(check_sample, _sample(annotations=[good], entities=[entity]), ONTOLOGY)
    assert (error.rule, error.field) == ("entity-member", "entities[0].members[1]")


# --- entities --------------------------------------------------------------------------------


def _members(*labels: str) -> dict[str, Annotation]:
    return {
        f"m{i}": Annotation(
            id=f"m{i}", stream="image", label=label, geometry=Box(x=0, y=0, w=1, h=1)
        )
        for i, label in enumerate(labels)
    }


def test_entity_member() -> None:
    members = _members("person")
    error = _violation(check_entity, Entity(id="e", members=["m0", "m9"]), members, ONTOLOGY)
    assert (error.obj, error.rule, error.field) == ("entity 'e'", "entity-member", "members[1]")
    error = _violation(check_entity, Entity(id="e", members=["m0", "m0"]), members, ONTOLOGY)
    assert (error.rule, error.field) == ("entity-member", "members[1]")
    check_entity(Entity(id="e", members=["m0"]), members, ONTOLOGY)


def test_entity_labels_is_a_related_pass_and_siblings_fail() -> None:
    members = _members("pilot", "person", "animal")
    check_entity(Entity(id="e", members=["m0", "m1"]), members, ONTOLOGY)
    check_entity(Entity(id="e", label="thing", members=["m0", "m1"]), members, ONTOLOGY)
    error = _violation(check_entity, Entity(id="e", members=["m1", "m2"]), members, ONTOLOGY)
    assert (error.rule, error.field) == ("entity-labels", "members[1]")
    error = _violation(
        check_entity, Entity(id="e", label="animal", members=["m0"]), members, ONTOLOGY
    )
    assert error.rule == "entity-labels"
    error = _violation(check_entity, Entity(id="e", label="dragon"), members, ONTOLOGY)
    assert (error.rule, error.field) == ("label-known", "label")
    entity = Entity(id="e", label="old")
    check_entity(entity, members, ONTOLOGY)
    error = _violation(check_entity, entity, members, ONTOLOGY, allow_deprecated=False)
    assert (error.rule, error.field) == ("label-deprecated", "label")


# --- links -----------------------------------------------------------------------------------

ENDS: dict[str, Annotation] = {
    "span": Annotation(id="span", stream="text", label="person", geometry=TextSpan(start=0, end=5)),
    "box": Annotation(id="box", stream="image", label="person", geometry=Box(x=0, y=0, w=1, h=1)),
    "cat": Annotation(id="cat", stream="image", label="animal", geometry=Box(x=0, y=0, w=1, h=1)),
    "words": Annotation(
        id="words", stream="audio", label="speech", geometry=Interval(start=0, end=1)
    ),
}
ENTITIES = {
    "crew": Entity(id="crew", members=["box"]),
    "pets": Entity(id="pets", members=["cat"]),
}


def _link(type_: str, source: str, target: str) -> Link:
    return Link(id="l", type=type_, source=source, target=target)


def _check(link: Link) -> None:
    check_link(link, {**ENDS, **ENTITIES}, STREAMS, ENDS, ONTOLOGY)


@pytest.mark.parametrize(
    ("link", "rule", "field"),
    [
        pytest.param(_link("likes", "span", "box"), "relation-known", "type", id="relation-known"),
        pytest.param(
            _link("refers-to", "ghost", "box"), "link-endpoint", "source", id="unknown source"
        ),
        pytest.param(
            _link("refers-to", "span", "ghost"), "link-endpoint", "target", id="unknown target"
        ),
        pytest.param(
            _link("refers-to", "span", "words"), "link-endpoint", "target", id="target modality"
        ),
        pytest.param(
            _link("refers-to", "crew", "box"), "link-endpoint", "source", id="entity not allowed"
        ),
        pytest.param(
            _link("speaker-of", "pets", "words"), "link-endpoint", "source", id="entity class"
        ),
        pytest.param(
            _link("speaker-of", "cat", "words"), "link-endpoint", "source", id="annotation class"
        ),
        pytest.param(_link("same-as", "box", "box"), "link-self", "target", id="link-self"),
        pytest.param(
            _link("refers-to", "box", "span"), "link-direction", "source", id="directed reversed"
        ),
    ],
)
def test_a_link_breaking_a_rule_is_refused(link: Link, rule: str, field: str) -> None:
    error = _violation(_check, link)
    assert (error.obj, error.rule, error.field) == ("link 'l'", rule, field)


@pytest.mark.parametrize(
    "link",
    [
        pytest.param(_link("refers-to", "span", "box"), id="directed the right way"),
        pytest.param(_link("caption-of", "span", "box"), id="undirected as declared"),
        pytest.param(_link("caption-of", "box", "span"), id="undirected the other way"),
        pytest.param(_link("speaker-of", "crew", "words"), id="entity by its members' class"),
        pytest.param(_link("same-as", "box", "crew"), id="annotation to entity"),
    ],
)
def test_a_link_keeping_the_rules_passes(link: Link) -> None:
    _check(link)
