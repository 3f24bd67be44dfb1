"""WebVTT and SRT subtitles (`rosetta.formats.subtitles`): the real fixtures read with exact
times and texts (NOTE blocks, cue settings and tags left out, voices made speakers);
read -> write -> read round trips; speakers and escaping written back; a project exported
and imported back; errors naming the file and the line while importing nothing; the cues'
missing label mapped or given."""

import shutil
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine

from conftest import MEDIA, TESTER
from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Interval, TranscriptSegment
from rosetta.core.schema import Annotation, Entity, Link, MediaInfo, Sample, Source, Stream
from rosetta.formats.interchange import ReadOptions
from rosetta.formats.label_map import LabelMap, UnmappedLabels
from rosetta.formats.registry import format_spec
from rosetta.formats.subtitles import read_srt, read_webvtt, write_srt, write_webvtt
from rosetta.services.format_io import export_foreign, import_foreign
from rosetta.services.projects import create_project
from timed_formats import FIXTURES, TIMED_ONTOLOGY, counts, link_ends, records, stored, write

COMMENTS = FIXTURES / "webvtt" / "glut23__webvtt-py" / "comments.vtt"
SPEC = FIXTURES / "webvtt" / "mozilla__vtt.js" / "spec-example.vtt"
SAMPLE_SRT = FIXTURES / "srt" / "glut23__webvtt-py" / "sample.srt"
MAPPING = LabelMap(labels={"cue": "speech"})
ROGER, NEIL = "spec-example.speaker-1", "spec-example.speaker-2"


def vtt(path: Path, options: ReadOptions | None = None) -> Sample:
    [foreign] = read_webvtt(path, options or ReadOptions())
    return foreign.sample


def srt(path: Path, options: ReadOptions | None = None) -> Sample:
    [foreign] = read_srt(path, options or ReadOptions())
    return foreign.sample


def segment(start: float, end: float, text: str) -> TranscriptSegment:
    return TranscriptSegment(start=start, end=end, text=text)


def test_webvtt_comments_and_header_are_left_out_and_cues_keep_their_lines() -> None:
    [foreign] = read_webvtt(COMMENTS, ReadOptions())
    sample = foreign.sample
    assert (sample.id, sample.external_id) == ("comments", "comments.vtt")
    [stream] = sample.streams
    assert (stream.id, stream.modality, stream.uri, stream.media.duration) == (
        "comments.video",
        "video",
        None,
        150.0,  # the last cue's end: no media was found
    )
    assert records(sample) == [
        ("1", "cue", segment(135.0, 140.0, "- Ta en kopp varmt te.\n- Det är inte varmt.")),
        ("2", "cue", segment(140.0, 145.0, "- Har en kopp te.\n- Det smakar som te.  ")),
        ("3", "cue", segment(145.0, 150.0, "- Ta en kopp")),  # the file ends without a newline
    ]
    assert all(a.source == Source(kind="import", name="webvtt") for a in sample.annotations)
    assert [foreign.origin_of(f"comments.{n}").line for n in (1, 2, 3)] == [8, 13, 20]
    assert (sample.entities, sample.links) == ([], [])


def test_webvtt_voices_become_speakers_of_their_cues() -> None:
    sample = vtt(SPEC)
    assert len(sample.annotations) == 13
    by_id = {a.id: a.geometry for a in sample.annotations}
    assert by_id["spec-example.1"] == segment(11.0, 13.0, "We are in New York City")
    # overlapping cues with settings; the settings are not kept
    assert by_id["spec-example.9"] == segment(30.0, 31.5, "When we e-mailed\u00e2\x80\x94")
    assert by_id["spec-example.10"] == segment(
        30.5, 32.5, "Didn't we talk about enough in that conversation?"
    )
    assert by_id["spec-example.12"] == segment(32.5, 33.5, "Laughs")  # <i> removed
    assert sample.entities == [Entity(id=ROGER, label="person"), Entity(id=NEIL, label="person")]
    assert sample.metadata["speakers"] == {ROGER: "Roger Bingham", NEIL: "Neil deGrasse Tyson"}
    neil = [t for kind, s, t in link_ends(sample) if s == "speaker-2"]
    assert neil == ["10", "12"]
    assert len(sample.links) == 13
    assert all(link.type == "speaker-of" for link in sample.links)


def test_srt_cues_read_with_comma_milliseconds() -> None:
    sample = srt(SAMPLE_SRT)
    assert records(sample) == [
        ("1", "cue", segment(0.5, 7.0, "Caption text #1")),
        ("2", "cue", segment(7.0, 11.89, "Caption text #2")),
        ("3", "cue", segment(11.89, 16.32, "Caption text #3")),
        ("4", "cue", segment(16.32, 21.58, "Caption text #4")),
        ("5", "cue", segment(21.58, 23.88, "Caption text #5")),
    ]
    assert sample.streams[0].media.duration == 23.88


def test_the_default_label_and_the_media_beside_the_subtitles_probed(tmp_path: Path) -> None:
    shutil.copy(SAMPLE_SRT, tmp_path / "sample.srt")
    shutil.copy(MEDIA / "video" / "slideshow_320x240_25fps.mp4", tmp_path / "sample.mp4")
    sample = srt(tmp_path / "sample.srt", ReadOptions(media_root=tmp_path, default_label="speech"))
    assert {a.label for a in sample.annotations} == {"speech"}
    assert (sample.streams[0].uri, sample.streams[0].modality, sample.external_id) == (
        "sample.mp4",
        "video",
        "sample.mp4",
    )
    # the video's own size, frame rate and length, not the last cue's end (23.88 s)
    assert sample.streams[0].media == MediaInfo(
        width=320,
        height=240,
        duration=9.76,
        frame_rate="25/1",
        frame_count=244,
        sample_rate=16000,
        channels=1,
        codec="h264",
        mime="video/mp4",
    )
    assert sample.metadata["srt"] == {"duration_from": "media"}
    assert srt(SAMPLE_SRT).metadata["srt"] == {"duration_from": "last cue"}


def test_found_media_that_cannot_be_probed_names_the_subtitles_and_the_file(
    tmp_path: Path,
) -> None:
    shutil.copy(SAMPLE_SRT, tmp_path / "sample.srt")
    (tmp_path / "sample.webm").write_bytes(b"\x1a\x45\xdf\xa3")  # an EBML header, no more
    with pytest.raises(ImportFailed) as failed:
        srt(tmp_path / "sample.srt", ReadOptions(media_root=tmp_path))
    assert (failed.value.file, failed.value.field) == (str(tmp_path / "sample.srt"), "srt: media")
    assert f"{tmp_path / 'sample.webm'}: not readable as a video file" in failed.value.detail


@pytest.mark.parametrize(
    ("path", "reader", "writer"),
    [(COMMENTS, vtt, write_webvtt), (SPEC, vtt, write_webvtt), (SAMPLE_SRT, srt, write_srt)],
    ids=["comments", "spec-example", "srt"],
)
def test_read_write_read_gives_the_same_records(
    path: Path, reader: object, writer: object, tmp_path: Path
) -> None:
    first = reader(path)  # type: ignore[operator]
    report = writer([first], TIMED_ONTOLOGY, tmp_path)  # type: ignore[operator]
    assert report.files == [path.name]
    assert reader(tmp_path / path.name) == first  # type: ignore[operator]


def _native() -> Sample:
    video = Stream(
        id="n.video", name="v.mp4", modality="video", uri="v.mp4", media={"duration": 9.0}
    )
    return Sample(
        id="n",
        streams=[video],
        annotations=[
            Annotation(
                id="n.b",
                stream="n.video",
                label="speech",
                geometry=segment(2.0, 3.0, "a < b & c\n\nsecond"),
            ),
            Annotation(
                id="n.a", stream="n.video", label="speech", geometry=segment(1.0, 2.5, "both speak")
            ),
            Annotation(
                id="n.c", stream="n.video", label="speech", geometry=Interval(start=4.0, end=4.0004)
            ),
        ],
        entities=[Entity(id="n.x", label="person"), Entity(id="n.y", label="person")],
        links=[
            Link(id="n.l1", type="speaker-of", source="n.x", target="n.a"),
            Link(id="n.l2", type="speaker-of", source="n.y", target="n.a"),
            Link(id="n.l3", type="same-as", source="n.a", target="n.b"),
        ],
        metadata={"speakers": {"n.x": "Ada", "n.y": "Bo"}},
    )


def test_webvtt_writes_voices_escapes_text_and_sorts_cues(tmp_path: Path) -> None:
    report = write_webvtt([_native()], TIMED_ONTOLOGY, tmp_path)
    assert report.not_carried == {
        "links": "1 written to not_carried.jsonl",
        "labels": "3 written to not_carried.jsonl",
        "stream details": "1 written to not_carried.jsonl",
    }
    assert (tmp_path / "n.vtt").read_text(encoding="utf-8") == (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:02.500\n<v Ada><v Bo>both speak\n\n"
        "00:00:02.000 --> 00:00:03.000\na &lt; b &amp; c\nsecond\n\n"
        "00:00:04.000 --> 00:00:04.001\n"  # a cue lasts at least a millisecond
    )
    again = vtt(tmp_path / "n.vtt")  # the labels, and the stream's, from not_carried.jsonl
    assert again.streams == _native().streams
    assert records(again) == [
        ("1", "speech", segment(1.0, 2.5, "both speak")),
        ("2", "speech", segment(2.0, 3.0, "a < b & c\nsecond")),
        ("3", "speech", Interval(start=4.0, end=4.001)),
    ]
    # the voices, and the link WebVTT has no place for, from not_carried.jsonl
    assert link_ends(again) == [
        ("same-as", "1", "2"),
        ("speaker-of", "speaker-1", "1"),
        ("speaker-of", "speaker-2", "1"),
    ]
    assert again.metadata["speakers"] == {"n.speaker-1": "Ada", "n.speaker-2": "Bo"}


def test_srt_leaves_speakers_to_the_sidecar(tmp_path: Path) -> None:
    report = write_srt([_native()], TIMED_ONTOLOGY, tmp_path)
    assert report.files == ["n.srt", "not_carried.jsonl"]
    assert (
        (tmp_path / "n.srt")
        .read_text(encoding="utf-8")
        .startswith(
            "1\n00:00:01,000 --> 00:00:02,500\nboth speak\n\n2\n00:00:02,000 --> 00:00:03,000\n"
        )
    )
    sidecar = [
        orjson.loads(line) for line in (tmp_path / "not_carried.jsonl").read_bytes().splitlines()
    ]
    assert [(r["sample"], r["kind"], r["record"]["id"]) for r in sidecar] == [
        ("n", "entity", "n.entity.1"),
        ("n", "entity", "n.entity.2"),
        ("n", "link", "n.link.1"),
        ("n", "link", "n.link.2"),
        ("n", "link", "n.link.3"),
        ("n", "fields", "n.video"),  # its name, URI and duration (not the last cue's end)
        ("n", "fields", "n.1"),  # the cues' labels
        ("n", "fields", "n.2"),
        ("n", "fields", "n.3"),
        ("n", "fields", "n"),
    ]
    assert sidecar[5]["record"]["fields"] == {
        "name": "v.mp4",
        "uri": "v.mp4",
        "media": {"duration": 9.0},
    }
    assert sidecar[-1]["record"]["fields"] == {
        "metadata": {"speakers": {"n.entity.1": "Ada", "n.entity.2": "Bo"}}
    }
    again = srt(tmp_path / "n.srt")
    assert (again.streams, {a.label for a in again.annotations}) == (
        _native().streams,
        {"speech"},
    )
    assert link_ends(again) == [
        ("same-as", "1", "2"),
        ("speaker-of", "entity.1", "1"),
        ("speaker-of", "entity.2", "1"),
    ]
    assert again.metadata["speakers"] == {"n.entity.1": "Ada", "n.entity.2": "Bo"}


NOT_SPEC = "expected a cue: an optional identifier line, then 'start --> end' "
VTT_TIME = "expected 'hh:mm:ss.ttt --> hh:mm:ss.ttt' (hours optional), got "


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "a.vtt",
            "WEBVTX\n\n00:01.000 --> 00:02.000\nhi\n",
            (1, "", "expected 'WEBVTT' as the first line, got 'WEBVTX'"),
        ),
        (
            "a.vtt",
            "WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n\n00:02.000 -> 00:03.000\nthere\n",
            (6, "cue", NOT_SPEC + "(cue text cannot follow a blank line)"),
        ),
        (
            "a.vtt",
            "WEBVTT\n\nfirst\n00:01.000 --> 00:02.7x\nhi\n",
            (4, "timing", VTT_TIME + "'00:01.000 --> 00:02.7x'"),
        ),
        (
            "a.vtt",
            "WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n\n00:05.000 --> 00:04.000\nback\n",
            (6, "cue 2: timing", "expected the end after the start (5000 ms, 4000 ms)"),
        ),
        (
            "a.vtt",
            "WEBVTT\n\n00:01.000 --> 00:02.000\n\xff\n",
            (4, "", "expected UTF-8 text (WebVTT is UTF-8): invalid start byte"),
        ),
        (
            "a.srt",
            "1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n00:00:03 --> 00:00:04,000\nthere\n",
            (
                6,
                "timing",
                "expected 'hh:mm:ss,mmm --> hh:mm:ss,mmm', got '00:00:03 --> 00:00:04,000'",
            ),
        ),
        (
            "a.srt",
            "hello\nworld\n",
            (1, "cue", "expected a cue number, then 'hh:mm:ss,mmm --> hh:mm:ss,mmm'"),
        ),
    ],
    ids=["header", "blank-in-cue", "timestamp", "backwards", "not-utf8", "srt-timing", "srt-start"],
)
def test_malformed_subtitles_name_file_and_line(
    tmp_path: Path, name: str, text: str, expected: tuple[int, str, str]
) -> None:
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1"))
    reader = vtt if name.endswith(".vtt") else srt
    with pytest.raises(ImportFailed) as failure:
        reader(path)
    assert (failure.value.file, failure.value.line, failure.value.field, failure.value.detail) == (
        str(path),
        *expected,
    )


def test_srt_text_after_a_blank_line_stays_with_its_cue_and_latin1_is_read(tmp_path: Path) -> None:
    path = tmp_path / "a.srt"
    path.write_bytes(
        "1\n00:00:01,000 --> 00:00:02,5\nfirst\n\nstill first\n\n2\n00:00:03,000 --> 00:00:04,000\ncaf\xe9\n".encode(
            "latin-1"
        )
    )
    assert records(srt(path)) == [
        (
            "1",
            "cue",
            segment(1.0, 2.005, "first\nstill first"),
        ),  # ,5 is 5 ms, as webvtt-py reads it
        ("2", "cue", segment(3.0, 4.0, "café")),
    ]


def test_malformed_subtitles_import_nothing(engine: Engine, tmp_path: Path) -> None:
    project = create_project(engine, "subs", TIMED_ONTOLOGY, TESTER)
    shutil.copy(SPEC, tmp_path / "a.vtt")
    write(tmp_path, "b.vtt", "WEBVTT\n\n00:01.000 --> 00:00.500\nback\n")
    before = counts(engine)
    with pytest.raises(ImportFailed, match=r"b\.vtt:3: cue 1: timing"):
        import_foreign(engine, project.id, "webvtt", tmp_path, TESTER, mapping=MAPPING)
    assert counts(engine) == before


def test_the_cue_label_is_listed_and_a_mapping_imports(engine: Engine) -> None:
    project = create_project(engine, "subs", TIMED_ONTOLOGY, TESTER)
    before = counts(engine)
    with pytest.raises(UnmappedLabels) as unmapped:
        import_foreign(engine, project.id, "webvtt", SPEC, TESTER)
    assert [(u.label, u.count, u.first.line) for u in unmapped.value.labels] == [("cue", 13, 3)]
    assert counts(engine) == before
    done = import_foreign(engine, project.id, "webvtt", SPEC, TESTER, mapping=MAPPING)
    assert (done.imported.annotations, done.imported.entities, done.imported.links) == (13, 2, 13)


def test_a_project_exported_and_imported_back_keeps_cues_and_speakers(
    engine: Engine, tmp_path: Path
) -> None:
    project = create_project(engine, "subs", TIMED_ONTOLOGY, TESTER)
    import_foreign(engine, project.id, "webvtt", SPEC, TESTER, mapping=MAPPING)
    report = export_foreign(engine, project.id, "webvtt", tmp_path / "out")
    assert (report.files[0], report.annotations) == ("spec-example.vtt", 13)
    (tmp_path / "out" / "spec-example.vtt").rename(tmp_path / "again.vtt")
    fresh = create_project(engine, "again", TIMED_ONTOLOGY, TESTER)
    import_foreign(engine, fresh.id, "webvtt", tmp_path / "again.vtt", TESTER, mapping=MAPPING)
    [before], [after] = stored(engine, project.id), stored(engine, fresh.id)
    assert records(after) == records(before)
    assert link_ends(after) == link_ends(before)
    assert list(after.metadata["speakers"].values()) == ["Roger Bingham", "Neil deGrasse Tyson"]


def test_the_registry_names_both_formats() -> None:
    webvtt, subrip = format_spec("webvtt"), format_spec("srt")
    assert (webvtt.read, webvtt.write, subrip.read, subrip.write) == (
        read_webvtt,
        write_webvtt,
        read_srt,
        write_srt,
    )
    assert "entities other than speakers" in webvtt.not_carried
    assert "entities" in subrip.not_carried
