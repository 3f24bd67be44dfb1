"""Small builders for store tests: a multimodal sample written straight into the tables.

Media info is given directly (what probing the shared fixtures yields), so these tests need
neither the importer nor the media prober.
"""

from sqlalchemy import Engine, insert

from rosetta.core.geometry import Box, Interval, TextSpan, TranscriptSegment
from rosetta.core.modality import Modality
from rosetta.core.policies import Access, Principal, Role
from rosetta.core.schema import Annotation, MediaInfo, Sample, Stream
from rosetta.store.records import (
    annotation_row,
    entity_row,
    link_row,
    member_rows,
    sample_row,
    stream_row,
)
from rosetta.store.tables import annotations, entities, entity_members, links, samples, streams

CAPTION = "An astronaut in an orange suit smiles beside a flag."


def streams_of(sample_id: str) -> list[Stream]:
    """Text, image, audio and video streams with ids ``<sample_id>-text`` and so on."""
    return [
        Stream(
            id=f"{sample_id}-text",
            name="caption",
            modality=Modality.TEXT,
            text=CAPTION,
            media=MediaInfo(length=len(CAPTION)),
        ),
        Stream(
            id=f"{sample_id}-image",
            name="photo",
            modality=Modality.IMAGE,
            uri="images/astronaut.png",
            media=MediaInfo(width=512, height=512, mime="image/png"),
        ),
        Stream(
            id=f"{sample_id}-audio",
            name="narration",
            modality=Modality.AUDIO,
            uri="audio/narration.wav",
            media=MediaInfo(duration=9.76, sample_rate=16000, channels=1),
        ),
        Stream(
            id=f"{sample_id}-video",
            name="slideshow",
            modality=Modality.VIDEO,
            uri="video/slideshow_320x240_25fps.mp4",
            media=MediaInfo(
                width=320, height=240, duration=9.76, frame_rate="25/1", frame_count=244
            ),
        ),
    ]


def span(ident: str, sample_id: str, start: int, end: int, label: str = "person") -> Annotation:
    """A span of the caption."""
    return Annotation(
        id=ident,
        stream=f"{sample_id}-text",
        label=label,
        geometry=TextSpan(start=start, end=end),
        ontology_version=1,
    )


def box(ident: str, sample_id: str, label: str, x: float = 10, y: float = 20) -> Annotation:
    """A 100x200 box on the photo at (x, y)."""
    return Annotation(
        id=ident,
        stream=f"{sample_id}-image",
        label=label,
        geometry=Box(x=x, y=y, w=100, h=200),
        ontology_version=1,
    )


def speech(ident: str, sample_id: str, start: float = 0.0, end: float = 3.05) -> Annotation:
    """A transcript segment of the narration."""
    return Annotation(
        id=ident,
        stream=f"{sample_id}-audio",
        label="speech",
        geometry=TranscriptSegment(start=start, end=end, text="An astronaut"),
        ontology_version=1,
    )


def interval(ident: str, sample_id: str, label: str = "scene") -> Annotation:
    """An interval of the video."""
    return Annotation(
        id=ident,
        stream=f"{sample_id}-video",
        label=label,
        geometry=Interval(start=0.0, end=3.64),
        ontology_version=1,
    )


def insert_sample(engine: Engine, project_id: str, sample: Sample) -> Sample:
    """Write `sample` with everything in it, as stored rows, in one transaction."""
    with engine.begin() as connection:
        connection.execute(insert(samples).values(sample_row(sample, project_id)))
        if sample.streams:
            connection.execute(insert(streams), [stream_row(s, sample.id) for s in sample.streams])
        if sample.annotations:
            connection.execute(
                insert(annotations),
                [annotation_row(a, project_id, sample.id) for a in sample.annotations],
            )
        for entity in sample.entities:
            connection.execute(insert(entities).values(entity_row(entity, project_id, sample.id)))
            if entity.members:
                connection.execute(insert(entity_members), member_rows(entity))
        if sample.links:
            connection.execute(
                insert(links), [link_row(link, project_id, sample.id) for link in sample.links]
            )
    return sample


def empty_sample(engine: Engine, project_id: str, sample_id: str) -> Sample:
    """A sample with the four streams and nothing drawn on them, stored."""
    return insert_sample(engine, project_id, Sample(id=sample_id, streams=streams_of(sample_id)))


def admin_access(project_id: str) -> Access:
    """A site administrator's access to the project: sees every sample and all work."""
    return Access(Principal("u-admin", "admin", is_admin=True), project_id, Role.ADMIN)
