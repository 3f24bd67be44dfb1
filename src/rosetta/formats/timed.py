"""What the timed-tier formats (ELAN, Praat TextGrid, WebVTT, SRT) share: the files of a
source, the media stream their tiers or cues lie on, the speakers, and what their writers
leave to ``not_carried.jsonl``.

**Media.** A reader looks for the media file a document names (or, for formats that name
none, a media file with the document's stem) under ``options.media_root``. Found, the
stream's URI is its path relative to the media root and its media info is what
`rosetta.media.probe` reads from the file (duration, sample rate, frame rate, size, MIME
type; a file it cannot read is an `ImportFailed` naming the document and the media file);
the sample's metadata says ``duration_from: "media"``. Not found, the URI is the media's
file name (resolved against the media roots when it is served) or none, and the duration
comes from the document itself (ELAN's last time slot, a TextGrid's ``xmax``, the last
cue's end), which ``duration_from`` names.

**Speakers.** A speaker (ELAN participant, WebVTT ``<v Name>``) is an `Entity` labelled
``person`` (`SPEAKER_LABEL`, a foreign label like any other: a mapping can rename it) with
no members, linked by a ``speaker-of`` link (`SPEAKER_RELATION`) to each annotation it
speaks, as the demo ontology has it; the speaker's name is in the sample's metadata,
``metadata["speakers"][entity id]``. (An entity's members must carry labels on one is-a
chain with the entity's, so spoken words cannot be members of a ``person``.)

**Not carried.** What a writer cannot put into the format goes to ``not_carried.jsonl``
(`rosetta.formats.not_carried`), which the readers put back: whole records, the parts
of written annotations the formats have no place for (`drop_parts`: attributes, and a
transcript's word timings with its whole geometry), and what a TextGrid or subtitle file
does not say of its stream (`put_stream`: its name, URI, media info, clock), which is read
back as ``<stem>.audio`` (TextGrid) or ``<stem>.video`` (subtitles) whatever media is
found, so that the records kept for it find it.
"""

import re
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from pydantic import ValidationError

from rosetta.core.errors import RosettaError
from rosetta.core.geometry import Interval, TranscriptSegment
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, Entity, JsonDict, MediaInfo, Sample, Stream
from rosetta.core.timebase import exact
from rosetta.formats.found_media import probe_found
from rosetta.formats.interchange import Origin, ReadOptions
from rosetta.formats.native import field_path
from rosetta.formats.not_carried import ReadBack
from rosetta.media.paths import is_file

#: The (foreign) label of a speaker entity.
SPEAKER_LABEL = "person"
#: The relation from a speaker entity to what it speaks.
SPEAKER_RELATION = "speaker-of"
#: ``Sample.metadata[SPEAKERS]`` maps a speaker entity's id to the speaker's name.
SPEAKERS = "speakers"
#: ``metadata[<format>]["duration_from"]`` when the duration was probed from the media file.
FROM_MEDIA = "media"

AUDIO_SUFFIXES = frozenset(
    {".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".aif", ".aiff", ".wma"}
)
VIDEO_SUFFIXES = frozenset(
    {".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi", ".mpg", ".mpeg", ".mts", ".ogv", ".wmv"}
)
_NOT_IN_IDS = re.compile(r"[/\x00-\x1f\x7f-\x9f]")
_MAX_ID = 64

TimedGeometry = Interval | TranscriptSegment


def source_files(source: Path, suffixes: Iterable[str]) -> Iterator[Path]:
    """`source` itself when it is a file, else the files below it whose suffix is one of
    `suffixes` (any case), in path order."""
    wanted = {suffix.lower() for suffix in suffixes}
    if source.is_file():
        yield source
        return
    if not source.is_dir():
        raise RosettaError(f"{source}: no such file or folder")
    yield from sorted(
        path for path in source.rglob("*") if path.is_file() and path.suffix.lower() in wanted
    )


def record_id(origin: Origin, *parts: str) -> str:
    """The id ``part.part...`` of a record read at `origin`; an `ImportFailed` there when it
    cannot be an id (longer than 64 characters, or holding ``/`` or control characters)."""
    ident = ".".join(parts)
    bad = _NOT_IN_IDS.search(ident)
    if bad is not None or len(ident) > _MAX_ID:
        why = f"holds {bad.group()!r}" if bad else f"is {len(ident)} characters long (at most 64)"
        raise origin.error("id", f"the record id {ident!r} made from the file {why}; rename it")
    return ident


def seconds_of_ms(milliseconds: int) -> float:
    """Milliseconds as seconds (the float nearest to the exact decimal)."""
    return milliseconds / 1000


def ms_of_seconds(seconds: float) -> int:
    """Seconds (by their shortest decimal form) rounded to whole milliseconds."""
    return round(exact(seconds) * 1000)


def modality_of(name: str, mime: str | None = None) -> Modality | None:
    """Audio or video by a MIME type (``audio/x-wav``) or else by the file name's suffix."""
    kind = (mime or "").split("/", 1)[0].lower()
    if kind in ("audio", "video"):
        return Modality(kind)
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        return Modality.AUDIO
    if suffix in VIDEO_SUFFIXES:
        return Modality.VIDEO
    return None


def url_path(url: str) -> str:
    """The path a media URL names (``file:///a/b.wav`` -> ``/a/b.wav``; a path stays)."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "file":
        return unquote(parts.path)
    if len(parts.scheme) > 1:
        return unquote(parts.path) or url
    return url


def find_media(candidates: Iterable[Path], options: ReadOptions) -> Path | None:
    """The first of `candidates` (relative ones taken from the media root) that is a file
    inside the media root; none without a media root."""
    root = options.media_root
    if root is None:
        return None
    base = root.resolve()
    for candidate in candidates:
        path = (base / candidate).resolve()  # an absolute candidate stays as it is
        if is_file(path) and path.is_relative_to(base):
            return path
    return None


def sibling_media(stem: str, options: ReadOptions) -> Path | None:
    """A media file named ``<stem>.<audio or video suffix>`` directly in the media root."""
    if options.media_root is None:
        return None
    for path in sorted(options.media_root.glob(f"{_glob_escape(stem)}.*")):
        if path.is_file() and modality_of(path.name) is not None:
            return path
    return None


def _glob_escape(text: str) -> str:
    """`text` with the glob pattern characters quoted."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def media_info(
    found: Path | None,
    modality: Modality,
    duration: float,
    origin: Origin,
    field: str,
    *,
    options: ReadOptions,
    mime: str | None = None,
) -> tuple[MediaInfo, bool]:
    """The media info of a document's stream and whether its duration is the media's: the
    file `found` probed (an `ImportFailed` at `origin`'s `field` when it cannot be), else
    the document's `duration` (seconds) and `mime`. A probed file that states no duration
    gets the document's."""
    if found is None:
        return MediaInfo(duration=duration, mime=mime), False
    media = probe_found(found, modality, origin, field, options)
    update = {"mime": media.mime or mime, "duration": media.duration}
    if media.duration is None:
        update["duration"] = duration
    return media.model_copy(update=update), media.duration is not None


def put_stream(
    back: ReadBack, stream: Stream, stem: str, modality: Modality, duration: float
) -> None:
    """Note that `stream` is the stream of the TextGrid or subtitle file `stem`, read back
    as ``<stem>.<modality>`` (`modality`: the format's, whatever media is found), and drop
    what of it the file does not give back: read without its media, the stream is named
    for `modality`, has no URI and lasts the file's `duration` (seconds)."""
    read_as = f"{stem}.{modality}"
    back.put(stream.id, stem, read_as)
    bare = Stream(
        id=read_as, name=str(modality), modality=modality, media=MediaInfo(duration=duration)
    )
    back.drop_stream_fields(stream, bare)


def media_stream(
    stream_id: str, uri: str, modality: Modality, media: MediaInfo, *, where: Origin, field: str
) -> Stream:
    """An audio or video stream at `uri`, named by its file name; one the schema refuses
    (a name too long for a stream's) is an `ImportFailed` at `where`'s `field`."""
    name = PurePosixPath(uri).name or uri
    try:
        return Stream(id=stream_id, name=name, modality=modality, uri=uri, media=media)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        detail = f"the stream {field_path(first['loc'])} {first['input']!r}: {first['msg']}"
        raise where.error(field, detail) from None


class Speakers:
    """The speakers of one document: an entity id per name, in order of appearance."""

    def __init__(self, stem: str, origin: Origin) -> None:
        self.stem = stem
        self.origin = origin
        self.ids: dict[str, str] = {}

    def entity_id(self, name: str) -> str:
        """The entity id of speaker `name` (``<stem>.speaker-<n>``)."""
        found = self.ids.get(name)
        if found is None:
            found = record_id(self.origin, self.stem, f"speaker-{len(self.ids) + 1}")
            self.ids[name] = found
        return found

    def link(self, name: str, annotation_id: str) -> JsonDict:
        """The ``speaker-of`` link from speaker `name` to the annotation (a JSON object)."""
        source = self.entity_id(name)
        return {
            "id": record_id(self.origin, annotation_id, source.rsplit(".", 1)[1]),
            "type": SPEAKER_RELATION,
            "source": source,
            "target": annotation_id,
        }

    def entities(self) -> list[Entity]:
        """The speaker entities."""
        return [Entity(id=ident, label=SPEAKER_LABEL) for ident in self.ids.values()]

    def names(self) -> dict[str, str]:
        """Entity id -> name, for ``metadata["speakers"]``."""
        return {ident: name for name, ident in self.ids.items()}


def speaker_names(sample: Sample) -> dict[str, str]:
    """Entity id -> speaker name for every entity a ``speaker-of`` link leaves from (the
    name from ``metadata["speakers"]``, else the entity's id)."""
    known = sample.metadata.get(SPEAKERS)
    names = known if isinstance(known, dict) else {}
    entities = {entity.id for entity in sample.entities}
    return {
        link.source: str(names.get(link.source, link.source))
        for link in sample.links
        if link.type == SPEAKER_RELATION and link.source in entities
    }


def main_stream(sample: Sample) -> Stream | None:
    """The stream a document's tiers are written on: the first audio or video stream that
    holds an interval or transcript, else the first audio or video stream."""
    timed = [s for s in sample.streams if s.modality in (Modality.AUDIO, Modality.VIDEO)]
    used = {a.stream for a in sample.annotations if isinstance(a.geometry, TimedGeometry)}
    return next((s for s in timed if s.id in used), timed[0] if timed else None)


def timed_annotations(sample: Sample, stream: Stream | None) -> list[Annotation]:
    """The intervals and transcript segments on `stream`."""
    if stream is None:
        return []
    return [
        a
        for a in sample.annotations
        if a.stream == stream.id and isinstance(a.geometry, Interval | TranscriptSegment)
    ]


def end_of(annotations: Iterable[Annotation], stream: Stream | None) -> float:
    """The later of the stream's duration and the last annotation's end (seconds)."""
    ends = [a.geometry.end for a in annotations if isinstance(a.geometry, TimedGeometry)]
    duration = stream.media.duration if stream is not None else None
    return max([*ends, duration or 0.0])


def put_speakers(back: ReadBack, sample: Sample, stem: str, order: dict[str, int]) -> None:
    """Note the speaker entities the file (the sample `stem`) gives back: the speaker
    called `name` is ``<stem>.speaker-<order[name]>``; a speaker entity with members, or
    whose name the file does not hold, goes to the sidecar, its name with it."""
    names = speaker_names(sample)
    members = {entity.id: entity.members for entity in sample.entities}
    lost: dict[str, str] = {}
    for entity_id, name in names.items():
        if name in order and not members.get(entity_id):
            back.put(entity_id, stem, f"{stem}.speaker-{order[name]}")
        else:
            lost[entity_id] = name
    if lost:
        back.drop(sample.id, "speaker names", {"metadata": {SPEAKERS: lost}})


def drop_parts(back: ReadBack, annotation: Annotation) -> None:
    """Drop what a timed format writes `annotation` without: its attributes and, for a
    transcript with word timings, its whole geometry (the times to the microsecond too)."""
    if annotation.attributes:
        back.drop(annotation.id, "attributes", {"attributes": annotation.attributes})
    geometry = annotation.geometry
    if isinstance(geometry, TranscriptSegment) and geometry.words:
        back.drop(
            annotation.id,
            "word timings",
            {"geometry": geometry.model_dump(mode="json", exclude_none=True)},
        )
