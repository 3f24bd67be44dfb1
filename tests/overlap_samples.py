"""Demo samples with a second annotator: ada's work as the demo builds it and bob's
perturbed copy (the flag's box moved off, the shuttle relabelled vehicle, a script mention
linked to the wrong still, two shots shifted by `SHIFT`, "flag" heard as "flat"), and a
model's candidate that is nobody's work — the overlap the agreement tests measure."""

import itertools

from rosetta.core.geometry import Box, Interval, TranscriptSegment, Word
from rosetta.core.schema import Annotation, Sample, Source

SHIFT = 0.125
#: A model's candidate on spoken-2: were it counted, spoken-2 would have three annotators.
CANDIDATE = Annotation(
    id="spoken-2.whisper",
    stream="spoken-2.audio",
    label="person",
    geometry=Interval(start=0.5, end=1.5),
    author="whisper",
    source=Source(kind="model", name="whisper", version="3"),
)


def perturbed(annotation: Annotation) -> Annotation:
    """Bob's version of ada's annotation."""
    geometry = annotation.geometry
    if annotation.id == "portrait.flag":
        return annotation.model_copy(update={"geometry": Box(x=380, y=0, w=124, h=512)})
    if annotation.id == "portrait.shuttle":
        return annotation.model_copy(update={"label": "vehicle"})
    if annotation.id in {"slideshow.shot-2", "slideshow.shot-3"}:
        assert isinstance(geometry, Interval)
        shifted = Interval(start=geometry.start - SHIFT, end=geometry.end - SHIFT)
        return annotation.model_copy(update={"geometry": shifted})
    if annotation.id == "spoken-1.words":
        assert isinstance(geometry, TranscriptSegment)
        words = [
            Word(text="flat." if w.text == "flag." else w.text, start=w.start, end=w.end)
            for w in geometry.words or ()
        ]
        heard = geometry.model_copy(
            update={"text": geometry.text.replace("flag.", "flat."), "words": words}
        )
        return annotation.model_copy(update={"geometry": heard})
    return annotation


def with_bob(sample: Sample) -> Sample:
    """`sample` with a perturbed copy of its work by bob (ids prefixed ``bob.``)."""
    ids = {
        ident: f"bob.{ident}"
        for ident in itertools.chain(
            (a.id for a in sample.annotations),
            (e.id for e in sample.entities),
            (k.id for k in sample.links),
        )
    }
    bob = [
        perturbed(a).model_copy(update={"id": ids[a.id], "author": "bob"})
        for a in sample.annotations
    ]
    entities = [
        e.model_copy(
            update={"id": ids[e.id], "author": "bob", "members": [ids[m] for m in e.members]}
        )
        for e in sample.entities
    ]
    links = [
        k.model_copy(
            update={
                "id": ids[k.id],
                "author": "bob",
                "source": ids[k.source],
                "target": ids["slideshow.still-2.cat" if k.id == "slideshow.names-1" else k.target],
            }
        )
        for k in sample.links
    ]
    extra = [CANDIDATE] if sample.id == "spoken-2" else []
    return sample.model_copy(
        update={
            "annotations": [*sample.annotations, *bob, *extra],
            "entities": [*sample.entities, *entities],
            "links": [*sample.links, *links],
        }
    )
