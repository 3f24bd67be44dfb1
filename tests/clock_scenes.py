"""Stored samples for the clock tests: linked annotations across streams, and recordings."""

from pathlib import Path

from sqlalchemy import Engine

from builders import box, empty_sample, insert_sample, interval, span, speech
from conftest import TESTER
from recordings import tone_sequence
from rosetta.core.geometry import Box
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, Entity, Link, MediaInfo, Sample, Stream
from rosetta.services.editing import create_annotation, create_entity, create_link

#: How much later the microphone hears each beep than the camera.
DELAY = 1.234


def linked_scene(engine: Engine, project_id: str) -> None:
    """Sample s1: speech (audio) synchronized with a scene (video); the astronaut entity
    (image box + video box) speaks the speech; the caption refers to the image box. All
    links confirmed but ``maybe``, which is proposed."""
    empty_sample(engine, project_id, "s1")
    on_video = Annotation(
        id="astronaut-video",
        stream="s1-video",
        label="person",
        geometry=Box(x=10, y=20, w=50, h=80, frame=12),
    )
    for annotation in (
        span("mention", "s1", 3, 12),
        box("astronaut", "s1", "person"),
        on_video,
        speech("words", "s1"),
        interval("scene", "s1"),
    ):
        create_annotation(engine, project_id, "s1", annotation, TESTER)
    create_entity(
        engine,
        project_id,
        "s1",
        Entity(id="astro", label="person", members=["astronaut", "astronaut-video"]),
        TESTER,
    )
    for link in (
        Link(id="ref", type="refers-to", source="mention", target="astronaut", status="confirmed"),
        Link(
            id="sync", type="synchronized-with", source="words", target="scene", status="confirmed"
        ),
        Link(id="speaks", type="speaker-of", source="astro", target="words", status="confirmed"),
        Link(id="maybe", type="synchronized-with", source="words", target="scene"),
    ):
        create_link(engine, project_id, "s1", link, TESTER)


def recording_session(engine: Engine, project_id: str, folder: Path) -> None:
    """Sample rec: camera audio ``cam`` (16 kHz), a microphone ``mic`` that started 1.234 s
    earlier (44.1 kHz, noisy), an unrelated recording ``other`` and a text ``note``."""
    files = {
        "cam": (tone_sequence(folder / "cam.wav", 16000, seed=1), 16000),
        "mic": (tone_sequence(folder / "mic.wav", 44100, seed=1, delay=DELAY, noise=0.3), 44100),
        "other": (tone_sequence(folder / "other.wav", 44100, seed=2, noise=0.3), 44100),
    }
    streams = [
        Stream(
            id=ident,
            name=ident,
            modality=Modality.AUDIO,
            uri=path.as_uri(),
            media=MediaInfo(sample_rate=rate, channels=1),
        )
        for ident, (path, rate) in files.items()
    ]
    note = Stream(
        id="note", name="note", modality=Modality.TEXT, text="hi", media=MediaInfo(length=2)
    )
    insert_sample(engine, project_id, Sample(id="rec", streams=[*streams, note]))
