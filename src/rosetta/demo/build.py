"""Build the demo project in a store.

Six samples over the media in ``media/`` (see ``media/NOTICE.md``):

- ``portrait``: the astronaut photo with its caption. Boxes on the astronaut, the flag and
  the shuttle model; caption spans that refer to them; entities joining box and span.
- ``spoken-1`` … ``spoken-3``: one spoken sentence each, a transcript segment with word
  timings, the speaker's turn and a ``speaker-of`` link.
- ``slideshow``: the narrated video with its narration, its script and its three source
  stills. Per sentence: the shot interval on the video, the transcript segment on the
  narration (``synchronized-with`` the shot), a box on the still, a track following the
  same object through its shot, a script span naming it, and an entity joining box, span
  and track.
- ``caption-ranking``: a preference sample. The prompt is the espresso photo and the
  instruction "Describe the image in one sentence."; three caption candidates from named
  models (one accurate, one with a wrong colour, one vague) wait for judgements on the
  ontology's rubric. A box marks the cup and spans of two captions refer to it.

Three accounts share the password `DEMO_PASSWORD`: ``admin`` (site administrator),
``grace`` (reviewer) and ``ada`` (annotator, with four samples assigned, one of them
blind). Some links are confirmed by a reviewer and then one box is corrected, so the review queue
holds a stale link from the start. The narration is aligned to the video by their sound
(an ``audio`` sync point on its clock), and every audio and video stream is prepared for
the workspace (waveform peaks, frame table, thumbnails).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson
from sqlalchemy import Engine

from rosetta import __version__
from rosetta.core.geometry import (
    Box,
    Classification,
    Geometry,
    Interval,
    TextSpan,
    Track,
    TrackFrame,
    TranscriptSegment,
    Word,
)
from rosetta.core.modality import Modality
from rosetta.core.policies import Role
from rosetta.core.preference import Candidate
from rosetta.core.schema import (
    Annotation,
    Entity,
    JsonDict,
    Link,
    MediaInfo,
    Project,
    Sample,
    Source,
    Stream,
)
from rosetta.media.probe import probe
from rosetta.services.accounts import assign, create_user, set_role
from rosetta.services.clocks import align_audio
from rosetta.services.editing import confirm_link, update_annotation
from rosetta.services.importer import import_samples
from rosetta.services.media_prep import prepare_project
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.store.events import Actor

DEMO_DIR = Path(__file__).resolve().parent
MEDIA_DIR = DEMO_DIR / "media"
ONTOLOGY_FILE = DEMO_DIR / "ontology.yaml"
DEMO_PROJECT = "rosetta-demo"

BUILDER = Actor("demo-builder", tool="rosetta-demo", tool_version=__version__)
ANNOTATOR = Actor("ada", tool="rosetta-demo", tool_version=__version__)
REVIEWER = Actor("grace", tool="rosetta-demo", tool_version=__version__)

#: The password of every demo account (a demo on loopback only).
DEMO_PASSWORD = "rosetta-demo"
#: The demo's accounts: name, role in the demo project (None: a site administrator).
DEMO_USERS: tuple[tuple[str, Role | None], ...] = (
    ("admin", None),
    ("grace", Role.REVIEWER),
    ("ada", Role.ANNOTATOR),
)
#: The samples assigned to the annotator, and whether blind.
ASSIGNED = (
    ("portrait", False),
    ("spoken-2", True),
    ("slideshow", False),
    ("caption-ranking", False),
)

#: Links the reviewer confirms after the import.
CONFIRMED_LINKS = (
    "portrait.mentions-astronaut",
    "portrait.mentions-flag",
    "slideshow.sync-1",
    "slideshow.sync-2",
    "slideshow.sync-3",
    "slideshow.names-3",
)
#: The box the annotator corrects after its link was confirmed: the link turns stale.
CORRECTED_BOX = "portrait.flag"
CORRECTED_GEOMETRY = Box(x=0, y=0, w=96, h=512)


@dataclass(frozen=True)
class Sentence:
    """One narrated sentence of ``audio/word_timings.json``.

    Times are milliseconds; ``first_frame``/``last_frame`` are the video frames (inclusive,
    at ``fps``) that show its image.
    """

    text: str
    wav: Path
    image: Path
    offset_ms: int
    speech_end_ms: int
    first_frame: int
    last_frame: int
    fps: int
    words: tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class Subject:
    """What each sentence's still shows: the class, the words naming it, where it is.

    ``track`` holds the box on the shot's first and last frame: the still's box carried
    through the video's crop to 4:3 and its slow centred zoom (1.0012 per frame).
    """

    key: str
    label: str
    attributes: JsonDict
    phrase: str
    box: tuple[float, float, float, float]
    track: tuple[tuple[float, float, float, float], tuple[float, float, float, float]]


SUBJECTS = (
    Subject(
        "astronaut",
        "person",
        {"role": "astronaut"},
        "astronaut",
        (18, 14, 347, 498),
        ((11.1, 0, 217.1, 240), (0, 0, 235.6, 240)),
    ),
    Subject(
        "cat",
        "cat",
        {"species": "tabby"},
        "tabby cat",
        (28, 0, 372, 296),
        ((1.8, 0, 298.0, 236.9), (0, 0, 312.8, 240)),
    ),
    Subject(
        "cup",
        "cup",
        {"colour": "red"},
        "cup",
        (170, 15, 242, 292),
        ((81.9, 8.9, 145.4, 175.4), (75.1, 0, 158.1, 189.9)),
    ),
)


def read_sentences(path: Path = MEDIA_DIR / "audio" / "word_timings.json") -> list[Sentence]:
    """The sentences of the narration with their word timings and video frames."""
    data = orjson.loads(path.read_bytes())
    return [
        Sentence(
            text=item["text"],
            wav=MEDIA_DIR / item["wav"],
            image=MEDIA_DIR / item["image"],
            offset_ms=item["offset_ms"],
            speech_end_ms=item["speech_end_ms"],
            first_frame=item["video_frames_inclusive"][0],
            last_frame=item["video_frames_inclusive"][1],
            fps=data["fps"],
            words=tuple((w["word"], w["start_ms"], w["end_ms"]) for w in item["words"]),
        )
        for item in data["sentences"]
    ]


def _media_stream(stream_id: str, name: str, modality: Modality, path: Path) -> Stream:
    uri = str(path)
    return Stream(id=stream_id, name=name, modality=modality, uri=uri, media=probe(uri, modality))


def _text_stream(stream_id: str, name: str, text: str) -> Stream:
    return Stream(
        id=stream_id,
        name=name,
        modality=Modality.TEXT,
        text=text,
        media=MediaInfo(length=len(text), mime="text/plain"),
    )


class _Drawing:
    """Collects the annotations, entities and links of one sample."""

    def __init__(self, ontology_version: int) -> None:
        self.ontology_version = ontology_version
        self.annotations: list[Annotation] = []
        self.entities: list[Entity] = []
        self.links: list[Link] = []

    def annotate(
        self,
        annotation_id: str,
        stream: str | None,
        label: str,
        geometry: Geometry,
        *,
        attributes: JsonDict | None = None,
        source: Source | None = None,
    ) -> str:
        self.annotations.append(
            Annotation(
                id=annotation_id,
                stream=stream,
                label=label,
                geometry=geometry,
                attributes=attributes or {},
                ontology_version=self.ontology_version,
                author=ANNOTATOR.name,
                source=source or Source(kind="human", name="rosetta-demo", version=__version__),
            )
        )
        return annotation_id

    def span(self, annotation_id: str, stream: Stream, phrase: str, label: str) -> str:
        text = stream.text or ""
        start = text.index(phrase)
        geometry = TextSpan(start=start, end=start + len(phrase))
        return self.annotate(annotation_id, stream.id, label, geometry)

    def entity(self, entity_id: str, label: str, members: Sequence[str]) -> None:
        self.entities.append(
            Entity(id=entity_id, label=label, members=list(members), author=ANNOTATOR.name)
        )

    def link(self, link_id: str, link_type: str, source: str, target: str) -> None:
        self.links.append(
            Link(id=link_id, type=link_type, source=source, target=target, author=ANNOTATOR.name)
        )


def _seconds(ms: int) -> float:
    return ms / 1000


def _segment(sentence: Sentence, offset_ms: int) -> TranscriptSegment:
    return TranscriptSegment(
        start=_seconds(offset_ms),
        end=_seconds(offset_ms + sentence.speech_end_ms),
        text=sentence.text,
        words=[
            Word(text=word, start=_seconds(offset_ms + start), end=_seconds(offset_ms + end))
            for word, start, end in sentence.words
        ],
    )


SPEECH = Source(kind="import", name="espeak-ng word events", version="1.51")


def portrait_sample(sentence: Sentence, ontology_version: int) -> Sample:
    """The astronaut photo with its caption, boxes, spans, refers-to links and entities."""
    photo = _media_stream("portrait.photo", "photo", Modality.IMAGE, sentence.image)
    caption = _text_stream("portrait.caption", "caption", sentence.text)
    draw = _Drawing(ontology_version)
    astronaut = draw.annotate(
        "portrait.astronaut",
        photo.id,
        "person",
        Box(x=18, y=14, w=347, h=498),
        attributes={"role": "astronaut"},
    )
    flag = draw.annotate(
        "portrait.flag", photo.id, "flag", Box(x=0, y=0, w=124, h=512), attributes={"colour": "red"}
    )
    draw.annotate("portrait.shuttle", photo.id, "spacecraft", Box(x=355, y=0, w=115, h=290))
    draw.annotate(
        "portrait.scene", photo.id, "scene", Classification(), attributes={"quality": 0.9}
    )
    said_astronaut = draw.span("portrait.says-astronaut", caption, "astronaut", "person")
    said_flag = draw.span("portrait.says-flag", caption, "flag", "flag")
    draw.link("portrait.mentions-astronaut", "refers-to", said_astronaut, astronaut)
    draw.link("portrait.mentions-flag", "refers-to", said_flag, flag)
    draw.entity("portrait.the-astronaut", "person", [astronaut, said_astronaut])
    draw.entity("portrait.the-flag", "flag", [flag, said_flag])
    return Sample(
        id="portrait",
        external_id="demo/portrait",
        status="review",
        metadata={"title": "Astronaut portrait", "description": "A photo and its caption."},
        streams=[photo, caption],
        annotations=draw.annotations,
        entities=draw.entities,
        links=draw.links,
    )


def spoken_sample(number: int, sentence: Sentence, ontology_version: int) -> Sample:
    """One spoken sentence: its transcript with word timings, the speaker's turn, speaker-of."""
    prefix = f"spoken-{number}"
    audio = _media_stream(f"{prefix}.audio", "speech", Modality.AUDIO, sentence.wav)
    draw = _Drawing(ontology_version)
    words = draw.annotate(
        f"{prefix}.words",
        audio.id,
        "speech",
        _segment(sentence, 0),
        attributes={"language": "en-US"},
        source=SPEECH,
    )
    turn = Interval(start=0, end=_seconds(sentence.speech_end_ms))
    speaker = draw.annotate(
        f"{prefix}.speaker", audio.id, "person", turn, attributes={"role": "speaker"}
    )
    draw.link(f"{prefix}.speaks", "speaker-of", speaker, words)
    return Sample(
        id=prefix,
        external_id=f"demo/{prefix}",
        status="new",
        metadata={"title": f"Spoken sentence {number}", "description": sentence.text},
        streams=[audio],
        annotations=draw.annotations,
        entities=draw.entities,
        links=draw.links,
    )


def _track(subject: Subject, sentence: Sentence, last_shot: bool) -> Track:
    (first, last) = subject.track
    frames = [
        TrackFrame(frame=sentence.first_frame, x=first[0], y=first[1], w=first[2], h=first[3]),
        TrackFrame(frame=sentence.last_frame, x=last[0], y=last[1], w=last[2], h=last[3]),
    ]
    if not last_shot:
        frames.append(
            TrackFrame(
                frame=sentence.last_frame + 1,
                x=last[0],
                y=last[1],
                w=last[2],
                h=last[3],
                outside=True,
            )
        )
    return Track(keyframes=frames)


def slideshow_sample(sentences: Sequence[Sentence], ontology_version: int) -> Sample:
    """The narrated video with its narration, script and stills, linked sentence by sentence."""
    video = _media_stream(
        "slideshow.video",
        "video",
        Modality.VIDEO,
        MEDIA_DIR / "video" / "slideshow_320x240_25fps.mp4",
    )
    narration = _media_stream(
        "slideshow.narration", "narration", Modality.AUDIO, MEDIA_DIR / "audio" / "narration.wav"
    )
    script = _text_stream("slideshow.script", "script", " ".join(s.text for s in sentences))
    stills = [
        _media_stream(f"slideshow.still-{n}", f"still {n}", Modality.IMAGE, sentence.image)
        for n, sentence in enumerate(sentences, start=1)
    ]
    draw = _Drawing(ontology_version)
    speech_end = _seconds(sentences[-1].offset_ms + sentences[-1].speech_end_ms)
    speaker = draw.annotate(
        "slideshow.speaker",
        narration.id,
        "person",
        Interval(start=0, end=speech_end),
        attributes={"role": "speaker"},
    )
    for n, (sentence, subject, still) in enumerate(
        zip(sentences, SUBJECTS, stills, strict=True), 1
    ):
        shot = Interval(
            start=sentence.first_frame / sentence.fps,
            end=(sentence.last_frame + 1) / sentence.fps,
        )
        draw.annotate(f"slideshow.shot-{n}", video.id, "scene", shot)
        line = draw.annotate(
            f"slideshow.line-{n}",
            narration.id,
            "speech",
            _segment(sentence, sentence.offset_ms),
            attributes={"language": "en-US"},
            source=SPEECH,
        )
        x, y, w, h = subject.box
        box = draw.annotate(
            f"slideshow.still-{n}.{subject.key}",
            still.id,
            subject.label,
            Box(x=x, y=y, w=w, h=h),
            attributes=subject.attributes,
        )
        track = draw.annotate(
            f"slideshow.track-{n}",
            video.id,
            subject.label,
            _track(subject, sentence, last_shot=n == len(sentences)),
            attributes=subject.attributes,
        )
        mention = draw.span(f"slideshow.mention-{n}", script, subject.phrase, subject.label)
        draw.link(f"slideshow.sync-{n}", "synchronized-with", line, f"slideshow.shot-{n}")
        draw.link(f"slideshow.said-{n}", "speaker-of", speaker, line)
        draw.link(f"slideshow.shows-{n}", "refers-to", line, track)
        draw.link(f"slideshow.names-{n}", "refers-to", mention, box)
        draw.entity(f"slideshow.{subject.key}", subject.label, [box, mention, track])
    return Sample(
        id="slideshow",
        external_id="demo/slideshow",
        status="in_progress",
        metadata={
            "title": "Narrated slideshow",
            "description": "A video made of three stills, each shown while its sentence is spoken.",
        },
        streams=[video, narration, script, *stills],
        annotations=draw.annotations,
        entities=draw.entities,
        links=draw.links,
    )


#: The preference sample's instruction, and its candidates: id, model, caption. The first
#: gets the cup's colour wrong, the second is accurate, the third is vague.
CAPTION_PROMPT = "Describe the image in one sentence."
CAPTION_CANDIDATES = (
    (
        "caption-ranking.c1",
        "vlm-chat",
        "An espresso in a blue cup sits on a matching saucer with a silver spoon "
        "on a wooden table.",
    ),
    (
        "caption-ranking.c2",
        "captioner-large",
        "An espresso in a red cup sits on a matching saucer with a silver spoon on a wooden table.",
    ),
    ("caption-ranking.c3", "captioner-small", "A drink on a table."),
)


def preference_sample(ontology_version: int = 1) -> Sample:
    """The espresso photo with the instruction to caption it and three models' captions as
    candidates (model names hidden from annotators); the cup boxed, two captions' mentions
    of it linked to the box."""
    photo = _media_stream(
        "caption-ranking.photo", "image", Modality.IMAGE, MEDIA_DIR / "images" / "coffee.png"
    )
    instruction = _text_stream("caption-ranking.instruction", "instruction", CAPTION_PROMPT)
    captions = [  # one name each: formats such as Label Studio key a task's data by name
        _text_stream(f"{candidate_id}.caption", f"caption {number}", text)
        for number, (candidate_id, _, text) in enumerate(CAPTION_CANDIDATES, start=1)
    ]
    draw = _Drawing(ontology_version)
    cup = draw.annotate(
        "caption-ranking.cup",
        photo.id,
        "cup",
        Box(x=170, y=15, w=242, h=292),
        attributes={"colour": "red"},
    )
    for caption, phrase in ((captions[0], "blue cup"), (captions[1], "red cup")):
        mention = draw.span(f"{caption.id}.cup", caption, phrase, "cup")
        draw.link(f"{caption.id}.names-cup", "refers-to", mention, cup)
    return Sample(
        id="caption-ranking",
        external_id="demo/caption-ranking",
        status="new",
        metadata={
            "title": "Caption ranking",
            "description": "Three models caption one photo: rank the captions.",
        },
        streams=[photo, instruction, *captions],
        annotations=draw.annotations,
        entities=draw.entities,
        links=draw.links,
        candidates=[
            Candidate(id=candidate_id, model=model, model_version="1.0", streams=[caption.id])
            for (candidate_id, model, _), caption in zip(CAPTION_CANDIDATES, captions, strict=True)
        ],
    )


def demo_samples(ontology_version: int = 1) -> list[Sample]:
    """The demo's samples, media probed, nothing written yet."""
    sentences = read_sentences()
    return [
        portrait_sample(sentences[0], ontology_version),
        *(spoken_sample(n, s, ontology_version) for n, s in enumerate(sentences, start=1)),
        slideshow_sample(sentences, ontology_version),
    ]


def build_demo(engine: Engine, name: str = DEMO_PROJECT) -> Project:
    """Create the demo project in the store: import its samples, align the narration to the
    video's sound, confirm links, correct a box, prepare the media and make the accounts."""
    ontology = load_ontology_file(ONTOLOGY_FILE)
    project = create_project(engine, name, ontology, BUILDER)
    samples = [*demo_samples(project.ontology_version), preference_sample(project.ontology_version)]
    import_samples(engine, project.id, samples, BUILDER)
    align_audio(engine, BUILDER, "slideshow", "slideshow.video", "slideshow.narration")
    for link_id in CONFIRMED_LINKS:
        confirm_link(engine, project.id, link_id, 1, REVIEWER)
    update_annotation(engine, project.id, CORRECTED_BOX, 1, ANNOTATOR, geometry=CORRECTED_GEOMETRY)
    prepare_project(engine, BUILDER, project.id)
    _accounts(engine, project.id)
    return project


def _accounts(engine: Engine, project_id: str) -> None:
    """The demo's users, their roles and the annotator's assignments."""
    for name, role in DEMO_USERS:
        user = create_user(engine, name, DEMO_PASSWORD, is_admin=role is None)
        if role is not None:
            set_role(engine, BUILDER, project_id, user.id, role)
            if role is Role.ANNOTATOR:
                for sample_id, blind in ASSIGNED:
                    assign(engine, BUILDER, sample_id, user.id, blind=blind)
