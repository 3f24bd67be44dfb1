"""WebVTT (``.vtt``) and SubRip (``.srt``) subtitles: timed cues of text.

**Reading** (one sample per file; a folder gives one per ``.vtt`` or ``.srt``, in path
order).

- The media: a file named like the subtitles (``talk.vtt`` -> ``talk.mp4``) in
  ``options.media_root``, probed (`rosetta.media.probe`: duration, frame rate, size,
  sample rate, MIME type; a file that cannot be read is an error naming the subtitle file
  and the media file), else a video stream without a URI whose duration is the last cue's
  end (``metadata[<format>]["duration_from"]``: ``"media"`` or ``"last cue"``); its id is
  ``<stem>.video`` either way. ``external_id``: the media's file name, else the subtitle
  file's.
- Each cue -> an annotation ``<stem>.<n>`` (``n``: the cue's 1-based place in the file),
  a `TranscriptSegment` of the cue's text (an `Interval` when the cue has none) from its
  start to its end (milliseconds, exactly). Cue text tags are removed (``<i>``, ``<b>``,
  ``<c.x>``, ``<v>``) and, in WebVTT, character references decoded (``&amp;`` -> ``&``);
  a cue's lines are joined with ``\\n``. Cues carry no label: each gets
  ``options.default_label`` or else ``cue``, a foreign label to map like any other.
- A WebVTT voice span ``<v Roger Bingham>`` -> a speaker entity, ``speaker-of`` the cue
  (`rosetta.formats.timed`); a cue may have several.
- Cue identifiers, cue settings (``align:end``, ``position:...``), ``NOTE`` comments,
  ``STYLE`` and ``REGION`` blocks, the header text and SRT's cue numbers are not kept.

The cue blocks are found by a line scanner of this module, so that each error names its
line (webvtt-py's parser reports none and skips malformed cues silently); webvtt-py reads
the timestamps and the cue text (tags, voices) and **writes** both formats: cues ordered
by start, times rounded to milliseconds, WebVTT voices as ``<v Name>`` spans (SRT has
none: speakers go to the sidecar), blank lines of a text left out (they would end the
cue); the sidecar keeps the cues' labels (but ``cue``) and what the file does not say of
the stream (`rosetta.formats.timed.put_stream`). SRT files that are not UTF-8 are read as
ISO 8859-1; in SRT, lines of text that follow a blank line inside a cue are that cue's
text (as webvtt-py reads them).
"""

import codecs
import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from webvtt import Caption, WebVTT
from webvtt.models import Timestamp

from rosetta.core.errors import ImportFailed, RosettaError
from rosetta.core.geometry import Interval, TranscriptSegment
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, JsonDict, Sample, Source, Stream
from rosetta.formats import timed
from rosetta.formats.interchange import (
    PREFERENCES,
    ForeignSample,
    FormatSpec,
    Origin,
    ReadOptions,
    WriteReport,
    collector_paused,
    sample_from,
)
from rosetta.formats.not_carried import NotCarried, ReadBack, read_back_beside

Kind = Literal["webvtt", "srt"]

#: The label of a cue when no default label is given.
CUE_LABEL = "cue"
#: The kind of media a subtitle file's stream is taken for when none is found, and named
#: for (``<stem>.video``) whatever is found.
STREAM_KIND = Modality.VIDEO
_SUFFIX: dict[Kind, str] = {"webvtt": ".vtt", "srt": ".srt"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_VTT_TIMING = re.compile(r"\s*(\S+?)\s*-->\s*(\S+)(?:\s.*)?")
_SRT_TIME = r"(\d+):(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_SRT_TIMING = re.compile(rf"\s*{_SRT_TIME}\s*-->\s*{_SRT_TIME}.*")
_VTT_HEADER = re.compile(r"WEBVTT(?:[ \t].*)?")
_VOICE = Caption.VOICE_SPAN_PATTERN


@dataclass
class _Cue:
    line: int  # the line of its timings
    start: int  # milliseconds
    end: int
    lines: list[str] = field(default_factory=list)


def _text_lines(path: Path, kind: Kind) -> list[str]:
    """The lines of the file (WebVTT: UTF-8 only; SRT: UTF-8, UTF-16 with a byte-order
    mark, else ISO 8859-1)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RosettaError(f"{path}: cannot read: {exc.strerror}") from None
    if raw.startswith((codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE)) and kind == "srt":
        text = raw.decode("utf-16")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if kind == "srt":
                text = raw.decode("latin-1")
            else:
                line = raw.count(b"\n", 0, exc.start) + 1
                raise ImportFailed(
                    str(path), line, "", f"expected UTF-8 text (WebVTT is UTF-8): {exc.reason}"
                ) from None
    lines = _LINE_BREAK.split(text)
    if lines and not lines[-1]:
        lines.pop()
    return lines


def _blocks(lines: list[str], first: int = 0) -> Iterator[tuple[int, list[str]]]:
    """Runs of non-blank lines from line index `first`, with the 1-based line of each."""
    block: list[str] = []
    start = 0
    for index in range(first, len(lines)):
        line = lines[index]
        if line.strip():
            if not block:
                start = index + 1
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def _vtt_time(text: str, file: str, line: int, timings: str) -> int:
    """A WebVTT timestamp in milliseconds, by webvtt-py's grammar (`Timestamp.PATTERN`:
    ``[h:]m:s.f``, minutes and seconds below 60, the fraction padded on the right)."""
    match = Timestamp.PATTERN.fullmatch(text)
    if match is None or int(match.group(2)) > 59 or int(match.group(3)) > 59:
        raise ImportFailed(
            file,
            line,
            "timing",
            f"expected 'hh:mm:ss.ttt --> hh:mm:ss.ttt' (hours optional), got {timings!r}",
        )
    hours, minutes, seconds, fraction = match.groups()
    whole = (int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)
    return whole * 1000 + int(fraction.ljust(3, "0"))


def _vtt_cues(lines: list[str], file: str) -> Iterator[_Cue]:
    if not lines or not _VTT_HEADER.fullmatch(lines[0]):
        shown = lines[0][:40] if lines else ""
        raise ImportFailed(file, 1, "", f"expected 'WEBVTT' as the first line, got {shown!r}")
    header_end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    for start, block in _blocks(lines, header_end):
        head = block[0]
        if re.match(r"NOTE(?:\s|$)", head) or head.strip() in ("STYLE", "REGION"):
            continue
        at = 0 if "-->" in head else 1 if len(block) > 1 and "-->" in block[1] else None
        if at is None:
            raise ImportFailed(
                file,
                start,
                "cue",
                "expected a cue: an optional identifier line, then 'start --> end' "
                "(cue text cannot follow a blank line)",
            )
        cue: _Cue | None = None
        for offset, line in enumerate(block[at:], start=start + at):
            if "-->" in line:
                if cue is not None:
                    yield cue
                match = _VTT_TIMING.fullmatch(line)
                if match is None:
                    raise ImportFailed(
                        file, offset, "timing", f"expected 'start --> end', got {line!r}"
                    )
                begin = _vtt_time(match.group(1), file, offset, line)
                cue = _Cue(offset, begin, _vtt_time(match.group(2), file, offset, line))
            elif cue is not None:
                cue.lines.append(line)
        if cue is not None:
            yield cue


def _srt_ms(fields: tuple[str, ...]) -> int:
    hours, minutes, seconds, milliseconds = map(int, fields)
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + milliseconds


def _srt_cues(lines: list[str], file: str) -> Iterator[_Cue]:
    cue: _Cue | None = None
    for start, block in _blocks(lines):
        numbered = block[0].strip().isdigit() and len(block) > 1
        at = 1 if numbered else 0
        match = _SRT_TIMING.fullmatch(block[at])
        if match is None:
            if "-->" in block[at]:
                raise ImportFailed(
                    file,
                    start + at,
                    "timing",
                    f"expected 'hh:mm:ss,mmm --> hh:mm:ss,mmm', got {block[at]!r}",
                )
            if cue is None:
                raise ImportFailed(
                    file,
                    start,
                    "cue",
                    "expected a cue number, then 'hh:mm:ss,mmm --> hh:mm:ss,mmm'",
                )
            cue.lines += block  # text after a blank line inside a cue
            continue
        if cue is not None:
            yield cue
        times = match.groups()
        cue = _Cue(start + at, _srt_ms(times[:4]), _srt_ms(times[4:]), block[at + 1 :])
    if cue is not None:
        yield cue


def _media(path: Path, options: ReadOptions) -> tuple[Path | None, Modality]:
    """The media file named like the subtitles, if found, and its modality."""
    found = timed.sibling_media(path.stem, options)
    if found is None:
        return None, STREAM_KIND
    return found, timed.modality_of(found.name) or STREAM_KIND


def _sample(path: Path, kind: Kind, options: ReadOptions) -> ForeignSample:
    file, stem = str(path), path.stem
    origin = Origin(file, 1, kind)
    lines = _text_lines(path, kind)
    cues = _vtt_cues(lines, file) if kind == "webvtt" else _srt_cues(lines, file)
    found, modality = _media(path, options)
    stream_id = timed.record_id(origin, stem, str(STREAM_KIND))
    speakers = timed.Speakers(stem, origin)
    label = options.default_label or CUE_LABEL
    source = Source(kind="import", name=kind)
    annotations: list[JsonDict] = []
    links: list[JsonDict] = []
    parts: dict[str, Origin] = {}
    end = 0
    caption = Caption()  # one caption, its lines replaced per cue: making one costs ~0.1 ms
    for number, cue in enumerate(cues, start=1):
        where = Origin(file, cue.line, f"cue {number}")
        if cue.end <= cue.start:
            raise where.error(
                "timing", f"expected the end after the start ({cue.start} ms, {cue.end} ms)"
            )
        ident = timed.record_id(where, stem, str(number))
        if any("<" in line for line in cue.lines):
            caption.lines = cue.lines
            text = caption.text
        else:  # no tag to remove: webvtt-py's text is the lines joined
            text = "\n".join(cue.lines)
        if kind == "webvtt" and "&" in text:
            text = html.unescape(text)
        start, stop = timed.seconds_of_ms(cue.start), timed.seconds_of_ms(cue.end)
        geometry: JsonDict = (
            {"type": "transcript", "start": start, "end": stop, "text": text}
            if text.strip()
            else {"type": "interval", "start": start, "end": stop}
        )
        annotations.append(
            {
                "id": ident,
                "stream": stream_id,
                "label": label,
                "geometry": geometry,
                "source": source,
            }
        )
        parts[ident] = where
        if kind == "webvtt":
            for name in dict.fromkeys(
                m.group(1).strip() for line in cue.lines for m in _VOICE.finditer(line)
            ):
                parts.setdefault(speakers.entity_id(name), where)
                link = speakers.link(name, ident)
                links.append(link)
                parts[link["id"]] = where
        end = max(end, cue.end)
    media, probed = timed.media_info(
        found, modality, timed.seconds_of_ms(end), origin, "media", options=options
    )
    stream = Stream(
        id=stream_id,
        name=found.name if found else str(modality),
        modality=modality,
        uri=None if found is None else options.uri_of(found),
        media=media,
    )
    duration_from = timed.FROM_MEDIA if probed else "last cue"
    data = {
        "id": timed.record_id(origin, stem),
        "external_id": found.name if found else path.name,
        "metadata": {timed.SPEAKERS: speakers.names(), kind: {"duration_from": duration_from}},
        "streams": [stream],
        "annotations": annotations,
        "entities": speakers.entities(),
        "links": links,
    }
    return ForeignSample(sample_from(data, origin, parts), origin, parts)


def read_webvtt(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    """The samples of the WebVTT file `source` (or of every ``.vtt`` below the folder),
    with what the `rosetta.formats.not_carried` file beside them keeps."""
    yield from read_back_beside(_samples(source, "webvtt", options), source)


def read_srt(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    """The samples of the SubRip file `source` (or of every ``.srt`` below the folder),
    with what the `rosetta.formats.not_carried` file beside them keeps."""
    yield from read_back_beside(_samples(source, "srt", options), source)


def _samples(source: Path, kind: Kind, options: ReadOptions) -> Iterator[ForeignSample]:
    for path in timed.source_files(source, (_SUFFIX[kind],)):
        with collector_paused():
            foreign = _sample(path, kind, options)
        yield foreign


# --- writing ---------------------------------------------------------------------------------


def _timestamp(milliseconds: int) -> str:
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, rest = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{rest:03d}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _captions(sample: Sample, kind: Kind, back: ReadBack) -> tuple[list[Caption], int]:
    """The captions of the sample's transcripts and intervals (with the links the voice
    spans carry) and how many annotations were written, noting in `back` the ids they get
    when the file (the sample ``<sample id>``) is read back."""
    stem = sample.id
    stream = timed.main_stream(sample)
    annotations = timed.timed_annotations(sample, stream)
    if stream is not None:  # read back without its media, it lasts until the last cue ends
        last = max((_span(a)[1] for a in annotations), default=0)
        timed.put_stream(back, stream, stem, STREAM_KIND, timed.seconds_of_ms(last))
    speakers = timed.speaker_names(sample) if kind == "webvtt" else {}
    voices: dict[str, list[tuple[str, str]]] = {}  # annotation -> [(name, link)]
    written = {a.id for a in annotations}
    for link in sample.links:
        if (
            link.type == timed.SPEAKER_RELATION
            and link.source in speakers
            and link.target in written
        ):
            voices.setdefault(link.target, []).append((speakers[link.source], link.id))
    order: dict[str, int] = {}  # speakers numbered as the reader meets them
    captions = []
    for number, annotation in enumerate(sorted(annotations, key=lambda a: (_span(a), a.id)), 1):
        start, end = _span(annotation)
        read_as = f"{stem}.{number}"
        back.put(annotation.id, stem, read_as)
        timed.drop_parts(back, annotation)
        if annotation.label != CUE_LABEL:  # a cue has none: read back as the default label
            back.drop(annotation.id, "labels", {"label": annotation.label})
        geometry = annotation.geometry
        text = geometry.text if isinstance(geometry, TranscriptSegment) else ""
        lines = [line for line in _LINE_BREAK.split(text) if line.strip()]
        if kind == "webvtt":
            lines = [_escape(line) for line in lines]
            names = voices.get(annotation.id, [])
            for name, link_id in names:
                order.setdefault(name, len(order) + 1)
                back.put(link_id, stem, f"{read_as}.speaker-{order[name]}")
            spans = "".join(f"<v {name}>" for name, _ in names)
            if spans:
                lines = [spans + (lines[0] if lines else ""), *lines[1:]]
        captions.append(Caption(_timestamp(start), _timestamp(end), lines))
    timed.put_speakers(back, sample, stem, order)
    back.drop_sample_fields(sample, carried=(kind, timed.SPEAKERS))
    return captions, len(annotations)


def _span(annotation: Annotation) -> tuple[int, int]:
    geometry = annotation.geometry
    assert isinstance(geometry, Interval | TranscriptSegment)
    start = timed.ms_of_seconds(geometry.start)
    return start, max(timed.ms_of_seconds(geometry.end), start + 1)


def _write(samples: Iterable[Sample], out: Path, kind: Kind) -> WriteReport:
    files: list[str] = []
    count = annotations = 0
    with NotCarried(out) as sidecar:
        for sample in samples:
            back = ReadBack()
            captions, written = _captions(sample, kind, back)
            sidecar.add(sample, back)
            name = f"{sample.id}{_SUFFIX[kind]}"
            with (out / name).open("w", encoding="utf-8", newline="\n") as handle:
                if kind == "webvtt":
                    WebVTT(captions=captions).write(handle, format="vtt")
                else:  # webvtt-py strips the SRT's last line end
                    WebVTT(captions=captions).write(handle, format="srt")
                    handle.write("\n")
            files.append(name)
            count += 1
            annotations += written
    report = sidecar.report()
    # labels kept in the sidecar are counted there; else cues read back with the default
    report.setdefault("labels", "cues carry no label: read back with the default label (or 'cue')")
    return WriteReport(files + sidecar.files(), count, annotations, report)


def write_webvtt(samples: Iterable[Sample], ontology: Ontology, out: Path) -> WriteReport:
    """One ``<sample id>.vtt`` per sample in `out`; what WebVTT cannot carry goes to the
    sidecar (`rosetta.formats.timed`)."""
    return _write(samples, out, "webvtt")


def write_srt(samples: Iterable[Sample], ontology: Ontology, out: Path) -> WriteReport:
    """One ``<sample id>.srt`` per sample in `out`; what SRT cannot carry goes to the
    sidecar (`rosetta.formats.timed`)."""
    return _write(samples, out, "srt")


_NOT_CARRIED = (
    "labels",
    "annotations other than intervals and transcripts on the first audio/video stream",
    "attributes",
    "word timings",
    "links",
)

SPECS: tuple[FormatSpec, ...] = (
    FormatSpec(
        name="webvtt",
        title="WebVTT subtitles (.vtt)",
        read=read_webvtt,
        write=write_webvtt,
        not_carried=(
            *_NOT_CARRIED[:-1],
            "entities other than speakers",
            "links other than speaker-of",
            PREFERENCES,
        ),
    ),
    FormatSpec(
        name="srt",
        title="SubRip subtitles (.srt)",
        read=read_srt,
        write=write_srt,
        not_carried=(*_NOT_CARRIED[:-1], "entities", "links", PREFERENCES),
    ),
)
