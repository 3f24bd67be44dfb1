"""Hypothesis strategies for schema records: every geometry, media info, source and record."""

import itertools
from fractions import Fraction

from hypothesis import strategies as st

from rosetta.core.calibration import Pose, RigidTransform, Sensor
from rosetta.core.clock import Clock, SyncPoint
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
    Word,
)
from rosetta.core.modality import Modality
from rosetta.core.schema import (
    Annotation,
    Entity,
    Link,
    MediaInfo,
    Sample,
    Source,
    Stream,
)
from rosetta.core.timebase import format_exact

finite = st.floats(allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=0, exclude_min=True, allow_nan=False, allow_infinity=False)
unit = st.floats(min_value=0, max_value=1)
int64 = st.integers(-(2**63), 2**63 - 1)
ids = st.text(min_size=1, max_size=12)
#: Text of a record's own columns (`rosetta.core.ids.Text`, `Name`): no NUL.
plain_texts = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30
)
name_texts = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=12
)
maybe_plain_text = st.none() | plain_texts
#: Ids of records (`rosetta.core.schema.Id`): no '/', no control characters, not '.' or '..'.
record_ids = st.text(
    st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="/"),
    min_size=1,
    max_size=12,
).filter(lambda ident: ident not in (".", ".."))
texts = st.text(max_size=30)
maybe_text = st.none() | texts
frame = st.none() | st.integers(0, 10**6)

json_values = st.recursive(
    st.none() | st.booleans() | int64 | finite | texts,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=10,
)
json_objects = st.dictionaries(texts, json_values, max_size=4)


@st.composite
def spans(draw: st.DrawFn) -> TextSpan:
    start = draw(st.integers(0, 10**6))
    return TextSpan(start=start, end=start + draw(st.integers(1, 1000)))


@st.composite
def intervals(draw: st.DrawFn) -> tuple[float, float]:
    start = draw(st.floats(min_value=0, max_value=1e6))
    return start, start + draw(st.floats(min_value=1e-3, max_value=1e3))


@st.composite
def transcripts(draw: st.DrawFn) -> TranscriptSegment:
    start, end = draw(intervals())
    fractions = draw(st.lists(unit, max_size=6))
    points = sorted(min(end, max(start, start + f * (end - start))) for f in fractions)
    words = [
        Word(text=draw(texts), start=points[i], end=points[i + 1])
        for i in range(0, len(points) - 1, 2)
    ]
    return TranscriptSegment(
        start=start, end=end, text=draw(texts), words=draw(st.sampled_from([None, words]))
    )


@st.composite
def tracks(
    draw: st.DrawFn,
    max_frame: int = 10**5,
    coordinates: st.SearchStrategy[float] = finite,
    sizes: st.SearchStrategy[float] = positive,
    interpolated: bool = False,
) -> Track:
    """A box, polygon or cuboid track of up to four frames, some outside. With
    `interpolated`, frames after the first that are not outside may be marked interpolated
    (as a dense export writes them; a sparse export leaves them out)."""
    frames = sorted(draw(st.lists(st.integers(0, max_frame), min_size=1, max_size=4, unique=True)))
    kind = draw(st.sampled_from(["box", "polygon", "cuboid"]))
    vertices = draw(st.integers(3, 5))
    triple = st.tuples(coordinates, coordinates, coordinates)

    def shape() -> dict[str, object]:
        if kind == "box":
            return {
                "x": draw(coordinates),
                "y": draw(coordinates),
                "w": draw(sizes),
                "h": draw(sizes),
            }
        if kind == "polygon":
            # mostly as many vertices as the others, sometimes not
            count = draw(st.sampled_from([vertices, vertices, vertices, vertices + 1]))
            points = st.tuples(coordinates, coordinates)
            return {"points": draw(st.lists(points, min_size=count, max_size=count))}
        return {
            "center": draw(triple),
            "size": draw(st.tuples(sizes, sizes, sizes)),
            "rotation": draw(st.none() | triple),
        }

    keyframes = []
    for index, frame in enumerate(frames):
        outside = draw(st.booleans())
        filled = interpolated and index > 0 and not outside and draw(st.booleans())
        keyframes.append(
            TrackFrame(
                frame=frame,
                outside=outside,
                occluded=draw(st.sampled_from([None, True, False])),
                interpolated=True if filled else None,
                **shape(),
            )
        )
    shape_name = draw(st.sampled_from([None, "box"])) if kind == "box" else kind
    return Track(shape=shape_name, keyframes=keyframes)


@st.composite
def keypoints(draw: st.DrawFn) -> Keypoints:
    points = draw(
        st.lists(st.tuples(finite, finite, st.sampled_from([0, 1, 2])), min_size=1, max_size=4)
    )
    names = draw(st.none() | st.lists(texts, min_size=len(points), max_size=len(points)))
    return Keypoints(points=points, names=names, frame=draw(frame))


geometries = st.one_of(
    spans(),
    st.builds(Box, x=finite, y=finite, w=positive, h=positive, frame=frame),
    st.builds(
        Polygon,
        points=st.lists(st.tuples(finite, finite), min_size=3, max_size=6),
        frame=frame,
    ),
    st.builds(
        Mask,
        rle=st.builds(
            Rle, size=st.tuples(st.integers(1, 4096), st.integers(1, 4096)), counts=texts
        ),
        frame=frame,
    ),
    keypoints(),
    intervals().map(lambda se: Interval(start=se[0], end=se[1])),
    tracks(),
    st.builds(
        Cuboid,
        center=st.tuples(finite, finite, finite),
        size=st.tuples(positive, positive, positive),
        rotation=st.tuples(finite, finite, finite),
    ),
    st.just(Classification()),
    transcripts(),
)

media = st.builds(
    MediaInfo,
    width=st.none() | st.integers(1, 10**5),
    height=st.none() | st.integers(1, 10**5),
    duration=st.none() | st.floats(min_value=0, allow_infinity=False),
    frame_rate=st.none()
    | st.tuples(st.integers(1, 10**6), st.integers(1, 10**4)).map(
        lambda nd: str(Fraction(nd[0], nd[1]))
    ),
    frame_count=st.none() | st.integers(0, 10**7),
    sample_rate=st.none() | st.integers(1, 10**6),
    channels=st.none() | st.integers(1, 64),
    length=st.none() | st.integers(0, 10**9),
    codec=maybe_text,
    mime=maybe_text,
)

exact_times = st.fractions(max_denominator=10**6).map(format_exact)
positive_rates = st.fractions(min_value=Fraction(1, 10**4), max_denominator=10**4).map(format_exact)


@st.composite
def clocks(draw: st.DrawFn) -> Clock:
    """A rate clock or a timestamp table, with up to three sync points."""
    sync_locals = sorted(draw(st.sets(st.fractions(max_denominator=1000), max_size=3)))
    sync_steps = draw(
        st.lists(
            st.fractions(min_value=Fraction(1, 1000), max_value=10, max_denominator=1000),
            min_size=len(sync_locals),
            max_size=len(sync_locals),
        )
    )
    references = list(itertools.accumulate(sync_steps))
    sync = [
        SyncPoint(
            local=format_exact(local),
            reference=format_exact(reference),
            source=draw(st.sampled_from(["hardware", "timestamps", "audio", "manual"])),
            confidence=draw(st.none() | unit),
            note=draw(maybe_text),
        )
        for local, reference in zip(sync_locals, references, strict=True)
    ]
    if draw(st.booleans()):
        return Clock(rate=draw(positive_rates), offset=draw(exact_times), sync=sync)
    ticks = sorted(draw(st.sets(st.integers(-(2**62), 2**62), min_size=1, max_size=5)))
    return Clock(time_base=draw(positive_rates), ticks=ticks, offset=draw(exact_times), sync=sync)


unit_quaternions = st.sampled_from(
    [(1.0, 0.0, 0.0, 0.0), (0.5, 0.5, -0.5, 0.5), (0.0, 0.6, 0.8, 0.0)]
)
vectors = st.tuples(finite, finite, finite)

sensors = st.builds(
    Sensor,
    frame=ids,
    extrinsic=st.builds(RigidTransform, rotation=unit_quaternions, translation=vectors),
    camera_matrix=st.none() | st.tuples(vectors, vectors, vectors),
    width=st.none() | st.integers(1, 10**4),
    height=st.none() | st.integers(1, 10**4),
)

streams = st.builds(
    Stream,
    id=record_ids,
    name=name_texts,
    modality=st.sampled_from(list(Modality)),
    uri=maybe_plain_text,
    text=maybe_plain_text,
    media=media,
    clock=st.none() | clocks(),
    sensor=st.none() | sensors,
)


@st.composite
def ego_poses(draw: st.DrawFn) -> list[Pose]:
    """Poses at increasing times."""
    times = sorted(draw(st.sets(st.fractions(max_denominator=10**6), max_size=3)))
    return [
        Pose(
            t=format_exact(t),
            rotation=draw(unit_quaternions),
            translation=draw(vectors),
        )
        for t in times
    ]


annotations = st.builds(
    Annotation,
    id=record_ids,
    stream=st.none() | name_texts,
    label=name_texts,
    geometry=geometries,
    attributes=json_objects,
    revision=st.integers(1, 2**31),
    ontology_version=st.none() | st.integers(1, 1000),
    author=maybe_plain_text,
    source=st.builds(
        Source,
        kind=st.sampled_from(["human", "model", "import"]),
        name=maybe_text,
        version=maybe_text,
        confidence=st.none() | unit,
    ),
    flags=st.lists(texts, max_size=3),
)

sample_strategy = st.builds(
    Sample,
    id=record_ids,
    external_id=maybe_plain_text,
    status=st.sampled_from(["new", "in_progress", "review", "done"]),
    metadata=json_objects,
    ego_poses=ego_poses(),
    streams=st.lists(streams, max_size=3),
    annotations=st.lists(annotations, max_size=5),
    entities=st.lists(
        st.builds(
            Entity,
            id=record_ids,
            label=st.none() | name_texts,
            members=st.lists(name_texts, max_size=3),
            revision=st.integers(1, 100),
            author=maybe_plain_text,
        ),
        max_size=2,
    ),
    links=st.lists(
        st.builds(
            Link,
            id=record_ids,
            type=name_texts,
            source=name_texts,
            target=name_texts,
            status=st.sampled_from(["proposed", "confirmed", "stale", "rejected"]),
            attributes=json_objects,
            revision=st.integers(1, 100),
            source_revision=st.none() | st.integers(1, 100),
            target_revision=st.none() | st.integers(1, 100),
            author=maybe_plain_text,
        ),
        max_size=3,
    ),
)
