"""Praat TextGrids (`rosetta.formats.textgrid`): the short UTF-8 and the long UTF-16 real
fixtures read to the same exact times and texts; points as tiny intervals; read -> write
-> read round trips; overlapping intervals and points written from records made
elsewhere; a project exported and imported back; errors naming the file, the line and the
value expected while importing nothing; unmapped tier names listed, then mapped."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from conftest import MEDIA, TESTER
from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Box, Interval, TranscriptSegment
from rosetta.core.schema import Annotation, Entity, Link, MediaInfo, Sample, Source, Stream
from rosetta.formats.interchange import ReadOptions
from rosetta.formats.label_map import LabelMap, UnmappedLabels
from rosetta.formats.registry import format_spec
from rosetta.formats.textgrid import POINT_WIDTH, read_textgrid, write_textgrid
from rosetta.services.format_io import export_foreign, import_foreign
from rosetta.services.projects import create_project
from timed_formats import FIXTURES, TIMED_ONTOLOGY, counts, records, stored, write

SHORT = FIXTURES / "textgrid" / "timmahrt__praatIO" / "mary.TextGrid"
LONG = FIXTURES / "textgrid" / "timmahrt__praatIO" / "mary_longfile.TextGrid"
MAPPING = LabelMap(labels={"phone": "speech", "word": "speech", "pitch": "marker"})

#: mary's phones: (interval number, start, end, text); intervals 1 and 16 are empty.
PHONES = [
    (2, 0.3154201182247563, 0.38526757369599995, "m"),
    (3, 0.38526757369599995, 0.4906833231456586, "ə"),
    (4, 0.4906833231456586, 0.5687114623227726, "r"),
    (5, 0.5687114623227726, 0.6755499913498981, "i"),
    (6, 0.6755499913498981, 0.8142925170069999, "r"),
    (7, 0.8142925170069999, 0.854201814059, "o"),
    (8, 0.854201814059, 0.9240430839, "l"),
    (9, 0.9240430839, 0.9839070294779999, "d"),
    (10, 0.9839070294779999, 1.0164729379083655, "θ"),
    (11, 1.0164729379083655, 1.063725623583, "ə"),
    (12, 1.063725623583, 1.1152822781165286, "b"),
    (13, 1.1152822781165286, 1.2325508617834506, "œ"),
    (14, 1.2325508617834506, 1.3345876591689074, "r"),
    (15, 1.3345876591689074, 1.5182538944627297, "l"),
]
WORDS = [
    (2, 0.3154201182247563, 0.6755499913498981, "mary"),
    (3, 0.6755499913498981, 0.9839070294779999, "rolled"),
    (4, 0.9839070294779999, 1.063725623583, "the"),
    (5, 1.063725623583, 1.5182538944627297, "barrel"),
]
POINTS = [
    (1, 0.5978689404359245, "120"),
    (2, 0.8264598697308528, "85"),
    (3, 1.0195797927558785, "97"),
    (4, 1.2008760470242699, "104"),
]


def read(path: Path, options: ReadOptions | None = None) -> Sample:
    [foreign] = read_textgrid(path, options or ReadOptions())
    return foreign.sample


def expected() -> list[tuple[str, str, object]]:
    return [
        *((f"1.{n}", "phone", TranscriptSegment(start=s, end=e, text=t)) for n, s, e, t in PHONES),
        *((f"2.{n}", "word", TranscriptSegment(start=s, end=e, text=t)) for n, s, e, t in WORDS),
        *(
            (f"3.{n}", "pitch", TranscriptSegment(start=t, end=t + POINT_WIDTH, text=mark))
            for n, t, mark in POINTS
        ),
    ]


@pytest.mark.parametrize(
    ("path", "lines"),
    [(SHORT, (16, 69, 89)), (LONG, (20, 90, 116))],
    ids=["short-utf8-crlf", "long-utf16be"],
)
def test_both_text_formats_read_to_the_same_exact_records(
    path: Path, lines: tuple[int, int, int]
) -> None:
    [foreign] = read_textgrid(path, ReadOptions())
    sample = foreign.sample
    assert (sample.id, sample.external_id) == (path.stem, path.name)
    [stream] = sample.streams
    assert (stream.id, stream.modality, stream.uri, stream.media.duration) == (
        f"{path.stem}.audio",
        "audio",
        None,
        1.869687,  # xmax: no sound was found
    )
    assert records(sample) == expected()  # the empty intervals 1.1, 1.16, 2.1, 2.6 skipped
    assert all(a.source == Source(kind="import", name="textgrid") for a in sample.annotations)
    origins = [foreign.origin_of(f"{path.stem}.{part}") for part in ("1.2", "2.2", "3.1")]
    assert [o.line for o in origins] == list(lines)
    assert origins[2].element == 'item [3] "pitch": points [1]'
    assert sample.metadata["textgrid"] == {
        "xmin": 0.0,
        "xmax": 1.869687,
        "tiers": [
            {"name": "phone", "class": "IntervalTier"},
            {"name": "word", "class": "IntervalTier"},
            {"name": "pitch", "class": "TextTier"},
        ],
        "duration_from": "xmax",
    }


def test_the_sound_is_found_by_the_textgrids_name_and_probed(tmp_path: Path) -> None:
    shutil.copy(SHORT, tmp_path / "mary.TextGrid")
    (tmp_path / "media").mkdir()
    shutil.copy(MEDIA / "audio" / "s3_coffee.wav", tmp_path / "media" / "mary.wav")
    (tmp_path / "media" / "mary.txt").write_text("not media")
    sample = read(tmp_path / "mary.TextGrid", ReadOptions(media_root=tmp_path / "media"))
    assert (sample.streams[0].uri, sample.streams[0].name, sample.external_id) == (
        "mary.wav",
        "mary.wav",
        "mary.wav",
    )
    # the WAV's own length (43548 samples at 16 kHz), not the TextGrid's xmax 1.869687
    assert sample.streams[0].media == MediaInfo(
        duration=2.72175, sample_rate=16000, channels=1, codec="pcm_16", mime="audio/x-wav"
    )
    assert sample.metadata["textgrid"]["duration_from"] == "media"
    assert sample.metadata["textgrid"]["xmax"] == 1.869687


def test_a_found_sound_that_cannot_be_probed_names_the_textgrid_and_the_file(
    tmp_path: Path,
) -> None:
    shutil.copy(SHORT, tmp_path / "mary.TextGrid")
    (tmp_path / "mary.wav").write_bytes(b"RIFF")
    with pytest.raises(ImportFailed) as failed:
        read(tmp_path / "mary.TextGrid", ReadOptions(media_root=tmp_path))
    assert (failed.value.file, failed.value.field) == (
        str(tmp_path / "mary.TextGrid"),
        "TextGrid: media",
    )
    assert f"{tmp_path / 'mary.wav'}: not readable as an audio file" in failed.value.detail


@pytest.mark.parametrize("path", [SHORT, LONG], ids=["short", "long"])
def test_read_write_read_gives_the_same_records(path: Path, tmp_path: Path) -> None:
    first = read(path)
    report = write_textgrid([first], TIMED_ONTOLOGY, tmp_path)
    assert (report.files, report.samples, report.annotations) == ([f"{path.stem}.TextGrid"], 1, 22)
    written = (tmp_path / f"{path.stem}.TextGrid").read_bytes()
    assert written.startswith(b'File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0 \n')
    assert read(tmp_path / f"{path.stem}.TextGrid") == first  # the gaps refilled: same ids


def test_records_from_elsewhere_become_tiers_of_their_labels(tmp_path: Path) -> None:
    audio = Stream(
        id="n.audio", name="a.wav", modality="audio", uri="a.wav", media={"duration": 5.0}
    )
    geometries: list[tuple[str, str, Interval | TranscriptSegment]] = [
        ("a", "speech", TranscriptSegment(start=0.5, end=2.0, text="hello")),
        ("b", "speech", TranscriptSegment(start=1.5, end=3.0, text="hi")),  # overlaps a
        ("c", "speech", Interval(start=3.0, end=4.0)),  # no text: written as its label
        ("d", "beat", Interval(start=1.0, end=1.0 + POINT_WIDTH)),  # a point
        ("e", "beat", Interval(start=2.0, end=2.0 + POINT_WIDTH)),
    ]
    sample = Sample(
        id="n",
        streams=[audio],
        annotations=[
            Annotation(id=f"n.{name}", stream="n.audio", label=label, geometry=geometry)
            for name, label, geometry in geometries
        ],
        entities=[Entity(id="n.ada", label="person")],
        links=[Link(id="n.l", type="speaker-of", source="n.ada", target="n.a")],
    )
    report = write_textgrid([sample], TIMED_ONTOLOGY, tmp_path)
    assert report.not_carried == {
        "entities": "1 written to not_carried.jsonl",
        "links": "1 written to not_carried.jsonl",
        "stream details": "1 written to not_carried.jsonl",  # its name and URI
    }
    again = read(tmp_path / "n.TextGrid")
    assert again.streams == [audio]
    assert records(again) == [
        ("1.2", "speech", TranscriptSegment(start=0.5, end=2.0, text="hello")),
        ("1.4", "speech", Interval(start=3.0, end=4.0)),
        ("2.2", "speech", TranscriptSegment(start=1.5, end=3.0, text="hi")),
        ("3.1", "beat", Interval(start=1.0, end=1.0 + POINT_WIDTH)),
        ("3.2", "beat", Interval(start=2.0, end=2.0 + POINT_WIDTH)),
    ]
    assert [(t["name"], t["class"]) for t in again.metadata["textgrid"]["tiers"]] == [
        ("speech", "IntervalTier"),
        ("speech", "IntervalTier"),
        ("beat", "TextTier"),
    ]
    assert again.metadata["textgrid"]["xmax"] == 5.0  # the stream's duration


def test_a_video_reads_back_whole_with_or_without_its_media(tmp_path: Path) -> None:
    """A TextGrid's stream is ``<stem>.audio`` whatever media is found, so that what
    not_carried.jsonl keeps for a video (its box, its media info) finds it."""
    video = Stream(
        id="n.cam",
        name="cam",
        modality="video",
        uri="cam.mp4",
        media=MediaInfo(width=320, height=240, duration=9.76, frame_rate="25/1", frame_count=244),
    )
    speech = Interval(start=1.0, end=2.0)
    box = Box(x=1.0, y=2.0, w=3.0, h=4.0, frame=25)
    sample = Sample(
        id="n",
        streams=[video],
        annotations=[
            Annotation(id="n.a", stream="n.cam", label="speech", geometry=speech),
            Annotation(id="n.b", stream="n.cam", label="person", geometry=box),
        ],
    )
    (tmp_path / "out").mkdir()
    write_textgrid([sample], TIMED_ONTOLOGY, tmp_path / "out")
    shutil.copy(MEDIA / "video" / "slideshow_320x240_25fps.mp4", tmp_path / "n.mp4")
    bare = read(tmp_path / "out" / "n.TextGrid")
    found = read(tmp_path / "out" / "n.TextGrid", ReadOptions(media_root=tmp_path))
    assert bare.streams == [video.model_copy(update={"id": "n.audio"})]
    probed = {"sample_rate": 16000, "channels": 1, "codec": "h264", "mime": "video/mp4"}
    media = video.media.model_copy(update=probed)  # what probing adds is kept
    assert found.streams == [video.model_copy(update={"id": "n.audio", "media": media})]
    for again in (bare, found):
        assert [(a.stream, a.label, a.geometry) for a in again.annotations] == [
            ("n.audio", "speech", speech),
            ("n.audio", "person", box),
        ]


def _short(old: str, new: str) -> str:
    text = SHORT.read_bytes().decode("utf-8")  # keeping its CRLF line ends
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        (
            _short('"ooTextFile"', '"ooBinaryFile"'),
            1,
            "File type",
            'expected "ooTextFile" (a TextGrid saved as text), got "ooBinaryFile"',
        ),
        (
            _short('"IntervalTier"\r\n"word"', '"SoundTier"\r\n"word"'),
            61,
            "item [2]: class",
            'expected "IntervalTier" or "TextTier", got "SoundTier"',
        ),
        (
            _short('"m"', "m"),
            19,  # the unquoted m is not a value: the next value is taken for the text
            "item [1]: intervals [2]: text",
            "expected item [1]: intervals [2]: text, got 0.38526757369599995",
        ),
        (
            _short("\r\n6\r\n", "\r\n6.5\r\n"),
            65,
            "item [2]: intervals: size",
            "expected a whole count, got 6.5",
        ),
        (
            _short('"104"\r\n', ""),
            95,
            "item [3]: points [4]: mark",
            "expected item [3]: points [4]: mark, but the file ends here",
        ),
        (
            _short('"104"\r\n', '"104"\r\n"extra"\r\n'),
            97,
            "size",
            "expected the file to end after its 3 tier(s)",
        ),
        (
            _short("0.3154201182247563\r\n0.38526757369599995", "0.3154201182247563\r\n0.3"),
            16,
            'item [1] "phone": intervals [2]: xmax',
            "Value error, segment end (0.3) must be greater than start (0.3154201182247563)",
        ),
    ],
    ids=["binary", "tier-class", "unquoted", "count", "truncated", "trailing", "backwards"],
)
def test_a_malformed_textgrid_names_file_line_and_value(
    tmp_path: Path, text: str, line: int, field: str, message: str
) -> None:
    path = write(tmp_path, "mary.TextGrid", text)
    with pytest.raises(ImportFailed) as failure:
        read(path)
    assert (failure.value.file, failure.value.line, failure.value.field) == (str(path), line, field)
    assert failure.value.detail == message


def test_a_malformed_textgrid_imports_nothing(engine: Engine, tmp_path: Path) -> None:
    project = create_project(engine, "praat", TIMED_ONTOLOGY, TESTER)
    shutil.copy(SHORT, tmp_path / "a.TextGrid")
    write(tmp_path, "b.TextGrid", _short('"m"', "m"))
    before = counts(engine)
    with pytest.raises(ImportFailed, match=r"b\.TextGrid:19"):
        import_foreign(engine, project.id, "textgrid", tmp_path, TESTER, mapping=MAPPING)
    assert counts(engine) == before


def test_unmapped_tier_names_are_listed_and_a_mapping_imports(engine: Engine) -> None:
    project = create_project(engine, "praat", TIMED_ONTOLOGY, TESTER)
    before = counts(engine)
    with pytest.raises(UnmappedLabels) as unmapped:
        import_foreign(engine, project.id, "textgrid", LONG, TESTER)
    assert [(u.label, u.count, u.first.line) for u in unmapped.value.labels] == [
        ("phone", 14, 20),
        ("pitch", 4, 116),
        ("word", 4, 90),
    ]
    assert counts(engine) == before
    done = import_foreign(engine, project.id, "textgrid", LONG, TESTER, mapping=MAPPING)
    assert done.imported.annotations == 22
    [sample] = stored(engine, project.id)
    assert [label for _, label, _ in records(sample)] == ["speech"] * 18 + ["marker"] * 4


def test_a_project_exported_and_imported_back_keeps_times_and_texts(
    engine: Engine, tmp_path: Path
) -> None:
    project = create_project(engine, "praat", TIMED_ONTOLOGY, TESTER)
    import_foreign(engine, project.id, "textgrid", SHORT, TESTER, mapping=MAPPING)
    report = export_foreign(engine, project.id, "textgrid", tmp_path / "out")
    assert (report.files[0], report.annotations) == ("mary.TextGrid", 22)
    (tmp_path / "out" / "mary.TextGrid").rename(tmp_path / "again.TextGrid")
    fresh = create_project(engine, "again", TIMED_ONTOLOGY, TESTER)
    import_foreign(engine, fresh.id, "textgrid", tmp_path / "again.TextGrid", TESTER)
    [before], [after] = stored(engine, project.id), stored(engine, fresh.id)
    assert records(after) == records(before)  # the tiers named by their classes now
    assert [t["name"] for t in after.metadata["textgrid"]["tiers"]] == [
        "speech",
        "speech",
        "marker",
    ]


def test_the_registry_names_the_format() -> None:
    spec = format_spec("textgrid")
    assert (spec.read, spec.write) == (read_textgrid, write_textgrid)
    assert "links" in spec.not_carried
