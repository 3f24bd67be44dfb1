"""Praat TextGrids (``.TextGrid``): interval and point tiers over a sound.

**Reading** (one sample per file; a folder gives one per ``.TextGrid``, in path order).

- Both text formats (long, ``xmin = 0`` with ``item [1]:`` headers, and short, values
  only) are one sequence of values, read as Praat reads them: quoted strings (``""``
  inside is a quote), numbers and ``<exists>`` flags, everything else skipped. UTF-8
  (with or without a byte-order mark), UTF-16 with a byte-order mark (as Praat saves
  non-ASCII text) or without one, and else ISO 8859-1 (Praat's old "try ISO Latin-1"
  writing preference).
- The sound: a media file named like the TextGrid (``mary.TextGrid`` -> ``mary.wav``)
  in ``options.media_root``, probed (`rosetta.media.probe`: its duration, sample rate,
  MIME type; a file that cannot be read is an error naming the TextGrid and the file),
  else an audio stream without a URI whose duration is the TextGrid's ``xmax``
  (``metadata["textgrid"]["duration_from"]``: ``"media"`` or ``"xmax"``); its id is
  ``<stem>.audio`` either way. ``external_id``: the sound's file name, else the
  TextGrid's.
- An interval ``[xmin, xmax)`` with text -> an annotation ``<stem>.<tier>.<interval>``
  (1-based, counting every interval of the file) labelled with the tier's name: a
  `TranscriptSegment` holding the text, or an `Interval` when the text is the tier's name
  (what the writer writes for an interval without text). Intervals with an empty (or
  blank) text are skipped: they are the gaps Praat needs between labelled intervals.
- A point (a ``TextTier``'s ``number`` and ``mark``) -> the same, as the tiny interval
  ``[number, number + POINT_WIDTH)`` (Rosetta's intervals need an end after their start);
  points with an empty mark are skipped too.
- ``metadata["textgrid"]`` keeps ``xmin``, ``xmax`` and the tiers' names and classes.

praatio's reader is not used: it tells no line of an error, decodes a UTF-8 file as
UTF-16 whenever that happens not to fail, silently stops a short-format tier at the first
value it cannot read, ignores the declared sizes and strips the texts. The **writer** uses
praatio (``textgrid_io.getTextgridAsStr``): the long text format, UTF-8, tiers named by
label (in the tiers of ``metadata["textgrid"]`` where an annotation's id places it), the
gaps between intervals filled with empty intervals, overlapping intervals of one label
spread over several tiers of that name (a Praat interval tier cannot overlap); what the
TextGrid does not say of its stream goes to the sidecar (`rosetta.formats.timed.put_stream`).
"""

import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from praatio.utilities import textgrid_io
from pydantic import ValidationError

from rosetta.core.errors import ImportFailed, RosettaError
from rosetta.core.geometry import Interval, TranscriptSegment
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Sample, Source, Stream
from rosetta.formats import timed
from rosetta.formats.interchange import (
    PREFERENCES,
    ForeignSample,
    FormatSpec,
    Origin,
    ReadOptions,
    WriteReport,
    collector_paused,
)
from rosetta.formats.not_carried import NotCarried, ReadBack, read_back_beside

#: The width of the interval a point becomes (seconds).
POINT_WIDTH = 1e-6
INTERVAL_TIER = "IntervalTier"
POINT_TIER = "TextTier"
#: The kind of media a TextGrid's stream is taken for when none is found, and named for
#: (``<stem>.audio``) whatever is found.
STREAM_KIND = Modality.AUDIO
_SOURCE = Source(kind="import", name="textgrid")

_TOKEN = re.compile(
    r"""
      "(?P<string>(?:[^"]|"")*)"
    | (?P<flag><[A-Za-z]+>)
    | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])
    | (?P<skip>\[[^\]\n]*\]|![^\n]*|[^\s"<\[!]+|\s+)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # "string", "flag" or "number"
    text: str
    line: int


def _decode(raw: bytes) -> str:
    """The text of a TextGrid file (see the module)."""
    if raw.startswith((codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE)):
        return raw.decode("utf-16")
    if len(raw) > 1 and raw[0] == 0:
        return raw.decode("utf-16-be")
    if len(raw) > 1 and raw[1] == 0:
        return raw.decode("utf-16-le")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class _Tokens:
    """The values of a TextGrid text, one at a time, each with its line."""

    def __init__(self, text: str, file: str) -> None:
        self.file = file
        self.items = self._scan(text)
        self.last_line = 1

    def _scan(self, text: str) -> Iterator[_Token]:
        line, position = 1, 0
        for match in _TOKEN.finditer(text):
            line += text.count("\n", position, match.start())
            position = match.start()
            kind = match.lastgroup or "skip"
            if kind != "skip":
                value = match.group(kind)
                yield _Token(kind, value.replace('""', '"') if kind == "string" else value, line)

    def take(self, kind: str, what: str) -> _Token:
        """The next value, which must be of `kind` (`what` names it in the error)."""
        token = next(self.items, None)
        if token is None:
            raise ImportFailed(
                self.file, self.last_line, what, f"expected {what}, but the file ends here"
            )
        self.last_line = token.line
        if token.kind != kind:
            shown = f'"{token.text}"' if token.kind == "string" else token.text
            raise ImportFailed(self.file, token.line, what, f"expected {what}, got {shown}")
        return token

    def number(self, what: str) -> tuple[float, int]:
        """The next number and its line."""
        token = self.take("number", what)
        return float(token.text), token.line

    def count(self, what: str) -> int:
        """The next number, a count."""
        token = self.take("number", what)
        if not token.text.isdigit():
            raise ImportFailed(
                self.file, token.line, what, f"expected a whole count, got {token.text}"
            )
        return int(token.text)

    def rest(self) -> _Token | None:
        """The first value after the last tier, if any."""
        return next(self.items, None)


@dataclass(frozen=True)
class _Entry:
    start: float
    end: float | None  # None: a point
    text: str
    line: int


@dataclass(frozen=True)
class _Tier:
    kind: str
    name: str
    line: int
    entries: list[_Entry]


def _header(tokens: _Tokens) -> tuple[float, float, int]:
    kind = tokens.take("string", 'File type = "ooTextFile"')
    if kind.text not in ("ooTextFile", "ooTextFile short"):
        raise ImportFailed(
            tokens.file,
            kind.line,
            "File type",
            f'expected "ooTextFile" (a TextGrid saved as text), got "{kind.text}"',
        )
    what = tokens.take("string", 'Object class = "TextGrid"')
    if what.text != "TextGrid":
        raise ImportFailed(
            tokens.file, what.line, "Object class", f'expected "TextGrid", got "{what.text}"'
        )
    xmin, _ = tokens.number("xmin")
    xmax, line = tokens.number("xmax")
    if xmax < xmin:
        raise ImportFailed(tokens.file, line, "xmax", f"expected >= xmin ({xmin}), got {xmax}")
    flag = tokens.take("flag", "tiers? <exists>")
    return xmin, xmax, tokens.count("size") if flag.text == "<exists>" else 0


def _tier(tokens: _Tokens, number: int) -> _Tier:
    kind = tokens.take("string", f'item [{number}]: class = "IntervalTier" or "TextTier"')
    if kind.text not in (INTERVAL_TIER, POINT_TIER):
        raise ImportFailed(
            tokens.file,
            kind.line,
            f"item [{number}]: class",
            f'expected "IntervalTier" or "TextTier", got "{kind.text}"',
        )
    name = tokens.take("string", f"item [{number}]: name").text
    tokens.number(f"item [{number}]: xmin")
    tokens.number(f"item [{number}]: xmax")
    points = kind.text == POINT_TIER
    element = "points" if points else "intervals"
    entries = []
    for index in range(1, tokens.count(f"item [{number}]: {element}: size") + 1):
        where = f"item [{number}]: {element} [{index}]"
        start, line = tokens.number(f"{where}: {'number' if points else 'xmin'}")
        end = None if points else tokens.number(f"{where}: xmax")[0]
        text = tokens.take("string", f"{where}: {'mark' if points else 'text'}").text
        entries.append(_Entry(start, end, text, line))
    return _Tier(kind.text, name, kind.line, entries)


def _media(path: Path, options: ReadOptions) -> tuple[Path | None, Modality]:
    """The sound file named like the TextGrid, if found, and its modality."""
    found = timed.sibling_media(path.stem, options)
    if found is None:
        return None, STREAM_KIND
    return found, timed.modality_of(found.name) or STREAM_KIND


def _sample(path: Path, options: ReadOptions) -> ForeignSample:
    file, stem = str(path), path.stem
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RosettaError(f"{file}: cannot read: {exc.strerror}") from None
    try:
        text = _decode(raw)
    except UnicodeDecodeError as exc:  # UTF-16 cut short or with a lone surrogate
        raise ImportFailed(file, 0, "", f"not {exc.encoding} text: {exc.reason}") from None
    tokens = _Tokens(text, file)
    origin = Origin(file, 1, "TextGrid")
    xmin, xmax, size = _header(tokens)
    found, modality = _media(path, options)
    uri = None if found is None else options.uri_of(found)
    media, probed = timed.media_info(found, modality, xmax, origin, "media", options=options)
    stream = Stream(
        id=timed.record_id(origin, stem, str(STREAM_KIND)),
        name=found.name if found else str(modality),
        modality=modality,
        uri=uri,
        media=media,
    )
    annotations: list[Annotation] = []
    parts: dict[str, Origin] = {}
    tiers = []
    for number in range(1, size + 1):
        tier = _tier(tokens, number)
        tiers.append({"name": tier.name, "class": tier.kind})
        label = tier.name or options.default_label
        for index, entry in enumerate(tier.entries, start=1):
            if not entry.text.strip():
                continue
            element = "points" if entry.end is None else "intervals"
            where = Origin(file, entry.line, f'item [{number}] "{tier.name}": {element} [{index}]')
            if label is None:
                raise where.error("name", "the tier has no name (pass a default label)")
            ident = timed.record_id(where, stem, str(number), str(index))
            annotations.append(_annotation(ident, stream.id, label, entry, where))
            parts[ident] = where
    extra = tokens.rest()
    if extra is not None:
        raise ImportFailed(
            file, extra.line, "size", f"expected the file to end after its {size} tier(s)"
        )
    duration_from = timed.FROM_MEDIA if probed else "xmax"
    metadata = {
        "textgrid": {"xmin": xmin, "xmax": xmax, "tiers": tiers, "duration_from": duration_from}
    }
    sample = Sample(
        id=timed.record_id(origin, stem),
        external_id=found.name if found else path.name,
        metadata=metadata,
        streams=[stream],
        annotations=annotations,
    )
    return ForeignSample(sample, origin, parts)


def _annotation(ident: str, stream: str, label: str, entry: _Entry, where: Origin) -> Annotation:
    start = entry.start
    end = start + POINT_WIDTH if entry.end is None else entry.end
    try:
        geometry: Interval | TranscriptSegment = (
            Interval(start=start, end=end)
            if entry.text == label
            else TranscriptSegment(start=start, end=end, text=entry.text)
        )
    except ValidationError as exc:
        field = "number" if entry.end is None else "xmax"
        raise where.error(field, exc.errors(include_url=False)[0]["msg"]) from None
    return Annotation(id=ident, stream=stream, label=label, geometry=geometry, source=_SOURCE)


def read_textgrid(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    """The samples of the TextGrid file `source` (or of every one below the folder), with
    what the `rosetta.formats.not_carried` file beside them keeps."""
    yield from read_back_beside(_samples(source, options), source)


def _samples(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    for path in timed.source_files(source, (".textgrid",)):
        with collector_paused():
            foreign = _sample(path, options)
        yield foreign


# --- writing ---------------------------------------------------------------------------------


def _saved_tiers(sample: Sample) -> list[dict[str, Any]]:
    saved = sample.metadata.get("textgrid")
    tiers = saved.get("tiers") if isinstance(saved, dict) else None
    return [t for t in tiers or [] if isinstance(t, dict)]


def _groups(
    sample: Sample, annotations: list[Annotation]
) -> dict[tuple[int, str], list[Annotation]]:
    """Annotations by (tier, label): the tier of ``metadata["textgrid"]`` that the id
    ``<sample>.<tier>.<entry>`` names, else after those, one per label."""
    known = len(_saved_tiers(sample))
    pattern = re.compile(rf"{re.escape(sample.id)}\.(\d+)\.\d+")
    groups: dict[tuple[int, str], list[Annotation]] = {}
    for annotation in annotations:
        match = pattern.fullmatch(annotation.id)
        number = int(match.group(1)) if match else 0
        key = (number if 0 < number <= known else known + 1, annotation.label)
        groups.setdefault(key, []).append(annotation)
    return dict(sorted(groups.items(), key=lambda item: item[0][0]))  # labels as they come


def _times(annotation: Annotation) -> tuple[float, float]:
    geometry = annotation.geometry
    assert isinstance(geometry, Interval | TranscriptSegment)
    return geometry.start, geometry.end


def _is_point(annotation: Annotation) -> bool:
    start, end = _times(annotation)
    return end - start <= 1.5 * POINT_WIDTH


def _text(annotation: Annotation) -> str:
    geometry = annotation.geometry
    if isinstance(geometry, TranscriptSegment) and geometry.text.strip():
        return geometry.text
    return annotation.label


def _spread(annotations: list[Annotation]) -> list[list[Annotation]]:
    """Interval annotations spread over as few tiers as keep each tier free of overlaps."""
    lanes: list[list[Annotation]] = []
    for annotation in sorted(annotations, key=_times):
        start = _times(annotation)[0]
        lane = next((lane for lane in lanes if _times(lane[-1])[1] <= start), None)
        if lane is None:
            lanes.append([annotation])
        else:
            lane.append(annotation)
    return lanes


def _with_gaps(
    lane: list[Annotation], xmin: float, xmax: float
) -> tuple[list[tuple[float, float, str]], list[int]]:
    """The entries of an interval tier: the lane's intervals with the gaps between them
    (and before the first, after the last) filled with empty ones, as Praat needs; and the
    1-based place of each of the lane's intervals among them (its id when read back)."""
    entries: list[tuple[float, float, str]] = []
    places: list[int] = []
    end = xmin
    for annotation in lane:
        start, stop = _times(annotation)
        if end < start:
            entries.append((end, start, ""))
        entries.append((start, stop, _text(annotation)))
        places.append(len(entries))
        end = stop
    if end < xmax:
        entries.append((end, xmax, ""))
    return entries, places


def _textgrid(sample: Sample, back: ReadBack) -> tuple[str, int]:
    """The long-format text of the TextGrid of `sample` and how many annotations it holds,
    noting in `back` the ids they get when it (the sample ``<sample id>``) is read back."""
    stem = sample.id
    stream = timed.main_stream(sample)
    annotations = timed.timed_annotations(sample, stream)
    saved = sample.metadata.get("textgrid")
    saved = saved if isinstance(saved, dict) else {}
    classes = [t.get("class") for t in _saved_tiers(sample)]
    xmin = min([float(saved.get("xmin", 0.0)), *(_times(a)[0] for a in annotations)])
    xmax = max(float(saved.get("xmax", 0.0)), timed.end_of(annotations, stream))
    if stream is not None:  # read back without its media, it lasts until xmax
        timed.put_stream(back, stream, stem, STREAM_KIND, xmax)
    tiers: list[dict[str, Any]] = []
    for (number, label), members in _groups(sample, annotations).items():
        saved_class = classes[number - 1] if number <= len(classes) else None
        points = saved_class == POINT_TIER or (saved_class is None and all(map(_is_point, members)))
        lanes = (
            [sorted(members, key=lambda a: (_times(a)[0], _text(a)))]
            if points
            else _spread(members)
        )
        for lane in lanes:
            tier = len(tiers) + 1
            if points:
                entries: list[Any] = [(_times(a)[0], _text(a)) for a in lane]
                places = list(range(1, len(lane) + 1))
            else:
                entries, places = _with_gaps(lane, xmin, xmax)
            tiers.append(
                {
                    "class": POINT_TIER if points else INTERVAL_TIER,
                    "name": label,
                    "xmin": xmin,
                    "xmax": xmax,
                    "entries": entries,
                }
            )
            for annotation, place in zip(lane, places, strict=True):
                back.put(annotation.id, stem, f"{stem}.{tier}.{place}")
                timed.drop_parts(back, annotation)
    back.drop_sample_fields(sample, carried=("textgrid",))
    text = textgrid_io.getTextgridAsStr(
        {"xmin": xmin, "xmax": xmax, "tiers": tiers},
        "long_textgrid",
        includeBlankSpaces=True,  # no gap is left for it to fill
        minimumIntervalLength=None,
    )
    return text, len(annotations)


def write_textgrid(samples: Iterable[Sample], ontology: Ontology, out: Path) -> WriteReport:
    """One ``<sample id>.TextGrid`` per sample in `out`; what a TextGrid cannot carry goes
    to ``not_carried.jsonl`` (`rosetta.formats.not_carried`)."""
    files: list[str] = []
    count = annotations = 0
    with NotCarried(out) as sidecar:
        for sample in samples:
            back = ReadBack()
            text, written = _textgrid(sample, back)
            sidecar.add(sample, back)
            name = f"{sample.id}.TextGrid"
            with (out / name).open("w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            files.append(name)
            count += 1
            annotations += written
    return WriteReport(files + sidecar.files(), count, annotations, sidecar.report())


SPECS: tuple[FormatSpec, ...] = (
    FormatSpec(
        name="textgrid",
        title="Praat TextGrid",
        read=read_textgrid,
        write=write_textgrid,
        not_carried=(
            "annotations other than intervals and transcripts on the first audio/video stream",
            "attributes",
            "word timings",
            "entities",
            "links",
            PREFERENCES,
        ),
    ),
)
