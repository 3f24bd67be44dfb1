"""ELAN documents (`rosetta.formats.elan`): the real fixtures read with exact times, labels,
speakers and tier links; read -> write -> read round trips; a project exported and imported
back; records that did not come from ELAN laid out in tiers (and what ELAN cannot carry in
the sidecar); XML bombs refused; errors naming the file, the line and the element while
importing nothing; unmapped labels listed, then imported with a mapping."""

import shutil
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine

from conftest import DEMO_ONTOLOGY, MEDIA, TESTER
from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Box, Interval, TranscriptSegment, Word
from rosetta.core.schema import Annotation, Entity, Link, MediaInfo, Sample, Source, Stream
from rosetta.formats.elan import read_elan, write_elan
from rosetta.formats.interchange import ReadOptions
from rosetta.formats.label_map import LabelMap, UnmappedLabels
from rosetta.formats.registry import format_spec
from rosetta.services.format_io import export_foreign, import_foreign
from rosetta.services.projects import create_project, load_ontology_file
from timed_formats import (
    FIXTURES,
    TIMED_ONTOLOGY,
    counts,
    link_ends,
    records,
    stored,
    write,
)

SPEACH = FIXTURES / "elan" / "neocl__speach" / "test.eaf"
FTO = FIXTURES / "elan" / "dopefishh__pympi" / "fto.eaf"
IMPORTED = Source(kind="import", name="elan")
#: What probing the fixture narration.wav finds.
NARRATION = MediaInfo(
    duration=9.76, sample_rate=16000, channels=1, codec="pcm_16", mime="audio/x-wav"
)
MAPPING = LabelMap(
    labels={
        "Utterance": "speech",
        "Chunk": "speech",
        "en": "language",
        "jp": "language",
        "default-lt": "speech",
    }
)


def read(path: Path, options: ReadOptions | None = None) -> Sample:
    [foreign] = read_elan(path, options or ReadOptions())
    return foreign.sample


def test_the_speach_document_reads_with_its_times_labels_and_tiers() -> None:
    sample = read(SPEACH)
    assert (sample.id, sample.external_id) == ("test", "test.wav")
    [stream] = sample.streams
    assert (stream.id, stream.modality, stream.uri) == ("test.media1", "audio", "test.wav")
    assert stream.media == MediaInfo(duration=17.57, mime="audio/x-wav")  # the last time slot
    assert len(sample.annotations) == 43
    by_id = {a.id: a for a in sample.annotations}
    # a time-aligned utterance: milliseconds 1040..2330 as seconds, the value as its text
    assert by_id["test.a1"] == Annotation(
        id="test.a1",
        stream="test.media1",
        label="Utterance",
        geometry=TranscriptSegment(start=1.04, end=2.33, text="How do you read this?"),
        source=IMPORTED,
    )
    assert by_id["test.a2"].geometry == TranscriptSegment(
        start=3.2, end=5.05, text="このリンゴ、おいしいね！"
    )
    assert by_id["test.a32"].geometry == TranscriptSegment(start=11.87, end=12.303, text=" リンゴ")
    # the marker tier (no participant) and the Included_In chunk tier
    assert (by_id["test.a25"].label, by_id["test.a25"].geometry) == (
        "Utterance",
        TranscriptSegment(start=16.523, end=17.57, text="convo end"),
    )
    assert (by_id["test.a30"].label, by_id["test.a30"].geometry) == (
        "Chunk",
        TranscriptSegment(start=9.731, end=10.281, text="この"),
    )
    # a symbolic association: the vocabulary entry is the label, the span the parent's
    assert (by_id["test.a38"].label, by_id["test.a38"].geometry) == (
        "en",
        Interval(start=1.04, end=2.33),
    )
    assert (by_id["test.a42"].label, by_id["test.a42"].geometry) == (
        "jp",
        Interval(start=9.731, end=10.281),
    )
    assert sorted({a.label for a in sample.annotations}) == ["Chunk", "Utterance", "en", "jp"]


def test_the_speach_participant_speaks_its_utterances_and_dependent_tiers_link_to_parents() -> None:
    sample = read(SPEACH)
    assert sample.entities == [Entity(id="test.speaker-1", label="person")]
    assert sample.metadata["speakers"] == {"test.speaker-1": "P001"}
    ends = link_ends(sample)
    spoken = [(s, t) for kind, s, t in ends if kind == "speaker-of"]
    assert spoken == sorted(("speaker-1", f"a{n}") for n in range(1, 9))  # not the marker tier
    parts = {s: t for kind, s, t in ends if kind == "part-of"}
    assert parts == {
        "a26": "a1",
        "a27": "a2",
        "a28": "a3",
        "a29": "a4",
        "a30": "a5",
        "a31": "a5",
        "a32": "a6",
        "a33": "a6",
        "a34": "a7",
        "a35": "a7",
        "a36": "a7",
        "a37": "a8",
    }
    associated = {s: t for kind, s, t in ends if kind == "associated-with"}
    assert associated["a38"] == "a26" and associated["a49"] == "a37"  # ChunkLanguage -> Chunk
    assert associated["a50"] == "a1" and associated["a57"] == "a8"  # Language -> Utterance
    assert len(associated) == 20
    elan = sample.metadata["elan"]
    assert [(t["id"], t["type"], t.get("parent")) for t in elan["tiers"]] == [
        ("Person1 (Utterance)", "Utterance", None),
        ("marker", "Utterance", None),
        ("Person1 (Chunk)", "Chunk", "Person1 (Utterance)"),
        ("Person1 (ChunkLanguage)", "ChunkLanguage", "Person1 (Chunk)"),
        ("Person1 (Language)", "UtteranceLanguage", "Person1 (Utterance)"),
    ]
    assert elan["vocabularies"] == {
        "Languages": {
            "cveid_20c62fa0-8144-44cb-b0d1-ebe9bec51cc5": "en",
            "cveid_2fef57d6-45fc-4763-95d8-2dca63b043d7": "jp",
        }
    }
    assert elan["duration_from"] == "last time slot"


def test_the_fto_document_keeps_overlapping_turns_and_ids_out_of_order() -> None:
    sample = read(FTO)
    assert (sample.external_id, sample.streams[0].uri) == ("BC_00L_bre_C.wav", "BC_00L_bre_C.wav")
    assert records(sample) == [
        (ident, "default-lt", TranscriptSegment(start=start, end=end, text="a"))
        for ident, start, end in [
            ("a1", 0.0, 1.629),
            ("a2", 1.79, 2.82),
            ("a3", 4.28, 5.8),
            ("a4", 2.63, 3.66),  # speaker b overlaps a's 1.79-2.82
            ("a7", 4.69, 5.05),  # inside a's 4.28-5.8, before a5 in the file
            ("a5", 6.24, 7.56),
            ("a6", 7.99, 9.55),
        ]
    ]
    assert sample.metadata["speakers"] == {"fto.speaker-1": "a", "fto.speaker-2": "b"}
    assert [(s, t) for kind, s, t in link_ends(sample)] == [
        ("speaker-1", "a1"),
        ("speaker-1", "a2"),
        ("speaker-1", "a3"),
        ("speaker-2", "a4"),
        ("speaker-2", "a5"),
        ("speaker-2", "a6"),
        ("speaker-2", "a7"),
    ]
    assert sample.metadata["elan"]["tiers"][0] == {
        "id": "default",
        "type": "default-lt",
        "annotations": [],
    }


def test_media_found_beside_the_document_under_the_media_root_is_probed(tmp_path: Path) -> None:
    (tmp_path / "talks").mkdir()
    shutil.copy(SPEACH, tmp_path / "talks" / "test.eaf")
    shutil.copy(MEDIA / "audio" / "narration.wav", tmp_path / "talks" / "test.wav")
    sample = read(tmp_path / "talks" / "test.eaf", ReadOptions(media_root=tmp_path))
    assert (sample.streams[0].uri, sample.external_id) == ("talks/test.wav", "test.wav")
    # the WAV's own length (9.76 s of 16 kHz mono), not the last time slot's 17.57 s
    assert sample.streams[0].media == NARRATION
    assert sample.metadata["elan"]["duration_from"] == "media"
    outside = read(tmp_path / "talks" / "test.eaf", ReadOptions(media_root=tmp_path / "none"))
    assert outside.streams[0].uri == "test.wav"  # not found: the file's name
    assert outside.streams[0].media == MediaInfo(duration=17.57, mime="audio/x-wav")
    assert outside.metadata["elan"]["duration_from"] == "last time slot"


def test_a_found_media_file_that_cannot_be_probed_names_the_document_and_the_file(
    tmp_path: Path,
) -> None:
    shutil.copy(SPEACH, tmp_path / "test.eaf")
    (tmp_path / "test.wav").write_bytes(b"RIFF")
    with pytest.raises(ImportFailed) as failed:
        read(tmp_path / "test.eaf", ReadOptions(media_root=tmp_path))
    assert (failed.value.file, failed.value.line) == (str(tmp_path / "test.eaf"), 6)
    assert failed.value.field == "<MEDIA_DESCRIPTOR>: MEDIA_URL"
    assert f"{tmp_path / 'test.wav'}: not readable as an audio file" in failed.value.detail


def test_an_import_with_the_media_found_stores_the_probed_duration(
    engine: Engine, tmp_path: Path
) -> None:
    shutil.copy(MEDIA / "audio" / "narration.wav", tmp_path / "BC_00L_bre_C.wav")
    project = create_project(engine, "fto", TIMED_ONTOLOGY, TESTER)
    options = ReadOptions(media_root=tmp_path)
    import_foreign(engine, project.id, "elan", FTO, TESTER, mapping=MAPPING, options=options)
    [sample] = stored(engine, project.id)
    assert (sample.streams[0].uri, sample.streams[0].media) == ("BC_00L_bre_C.wav", NARRATION)
    assert sample.metadata["elan"]["duration_from"] == "media"


@pytest.mark.parametrize("fixture", [SPEACH, FTO], ids=["speach", "fto"])
def test_read_write_read_gives_the_same_records(fixture: Path, tmp_path: Path) -> None:
    first = read(fixture)
    report = write_elan([first], TIMED_ONTOLOGY, tmp_path)
    assert (report.files, report.samples, report.not_carried) == ([f"{first.id}.eaf"], 1, {})
    again = read(tmp_path / f"{first.id}.eaf")
    assert again == first  # ids, times, labels, texts, speakers, links, metadata


def _native() -> Sample:
    """A sample that did not come from ELAN: speech with a speaker, words inside a
    sentence, a language tag, an image box and a same-as link."""
    audio = Stream(
        id="n.audio", name="talk.wav", modality="audio", uri="talk.wav", media={"duration": 10.0}
    )
    image = Stream(
        id="n.image", name="still.png", modality="image", media={"width": 8, "height": 8}
    )
    sentence = TranscriptSegment(
        start=1.0, end=3.0, text="hello there", words=[Word(text="hello", start=1.0, end=1.5)]
    )
    annotations = [
        Annotation(
            id="n.s1",
            stream="n.audio",
            label="speech",
            geometry=sentence,
            attributes={"tone": "happy"},
        ),
        Annotation(
            id="n.s2", stream="n.audio", label="speech", geometry=Interval(start=2.5, end=4.0)
        ),
        Annotation(
            id="n.w1",
            stream="n.audio",
            label="word",
            geometry=TranscriptSegment(start=1.0, end=1.5, text="hello"),
        ),
        Annotation(
            id="n.lang", stream="n.audio", label="language", geometry=Interval(start=1.0, end=3.0)
        ),
        Annotation(id="n.box", stream="n.image", label="person", geometry=Box(x=1, y=1, w=2, h=2)),
    ]
    return Sample(
        id="n",
        streams=[audio, image],
        annotations=annotations,
        entities=[Entity(id="n.ada", label="person"), Entity(id="n.group", members=["n.box"])],
        links=[
            Link(id="n.l1", type="speaker-of", source="n.ada", target="n.s1"),
            Link(id="n.l2", type="part-of", source="n.w1", target="n.s1"),
            Link(id="n.l3", type="associated-with", source="n.lang", target="n.s1"),
            Link(id="n.l4", type="same-as", source="n.s2", target="n.box"),
            Link(id="n.l5", type="speaker-of", source="n.ada", target="n.s2"),
        ],
        metadata={"speakers": {"n.ada": "Ada"}},
    )


def test_records_from_elsewhere_are_laid_out_in_tiers_and_the_rest_goes_to_the_sidecar(
    tmp_path: Path,
) -> None:
    report = write_elan([_native()], TIMED_ONTOLOGY, tmp_path)
    assert report.files == ["n.eaf", "not_carried.jsonl"]
    assert report.not_carried == {
        "attributes": "1 written to not_carried.jsonl",
        "box annotations": "1 written to not_carried.jsonl",
        "entities": "1 written to not_carried.jsonl",
        "links": "1 written to not_carried.jsonl",
        "streams": "1 written to not_carried.jsonl",
        "word timings": "1 written to not_carried.jsonl",
    }
    again = read(tmp_path / "n.eaf")
    # what ELAN cannot carry comes back from not_carried.jsonl: the sentence's attributes
    # and words, the image and its box, the group, the link to the box
    assert records(again) == [
        ("s1", "speech", _native().annotations[0].geometry),
        ("lang", "language", Interval(start=1.0, end=3.0)),
        ("w1", "word", TranscriptSegment(start=1.0, end=1.5, text="hello")),
        ("s2", "speech", Interval(start=2.5, end=4.0)),
        ("annotation.1", "person", Box(x=1, y=1, w=2, h=2)),
    ]
    assert again.annotations[0].attributes == {"tone": "happy"}
    assert [s.id for s in again.streams] == ["n.media1", "n.stream.1"]
    assert again.entities[-1] == Entity(id="n.entity.1", members=["n.annotation.1"])
    assert link_ends(again) == [
        ("associated-with", "lang", "s1"),
        ("part-of", "w1", "s1"),
        ("same-as", "s2", "annotation.1"),
        ("speaker-of", "speaker-1", "s1"),
        ("speaker-of", "speaker-1", "s2"),
    ]
    assert again.metadata["speakers"] == {"n.speaker-1": "Ada"}
    tiers = {t["id"]: t for t in again.metadata["elan"]["tiers"]}
    assert tiers["speech (Ada)"] == {
        "id": "speech (Ada)",
        "type": "speech",
        "participant": "Ada",
        "annotations": ["s1"],
    }
    assert tiers["word"]["parent"] == tiers["language"]["parent"] == "speech (Ada)"
    assert tiers["speech (Ada) 2"]["annotations"] == ["s2"]  # s2 overlaps s1
    assert again.metadata["elan"]["types"]["language"]["constraint"] == "Symbolic_Association"
    sidecar = [
        orjson.loads(line) for line in (tmp_path / "not_carried.jsonl").read_bytes().splitlines()
    ]
    assert [(r["sample"], r["kind"], r["record"]["id"]) for r in sidecar] == [
        ("n", "stream", "n.stream.1"),
        ("n", "annotation", "n.annotation.1"),
        ("n", "entity", "n.entity.1"),
        ("n", "link", "n.link.1"),
        ("n", "fields", "n.s1"),
        ("n", "fields", "n.s1"),
    ]
    assert sidecar[4]["record"] == {"id": "n.s1", "fields": {"attributes": {"tone": "happy"}}}


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE ANNOTATION_DOCUMENT [\n  <!ENTITY lol "lol">\n'
    '  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
    "<ANNOTATION_DOCUMENT>&lol2;</ANNOTATION_DOCUMENT>\n"
)
EXTERNAL = (
    '<?xml version="1.0"?>\n<!DOCTYPE ANNOTATION_DOCUMENT [\n'
    '  <!ENTITY secret SYSTEM "file:///etc/passwd">\n]>\n'
    "<ANNOTATION_DOCUMENT>&secret;</ANNOTATION_DOCUMENT>\n"
)


@pytest.mark.parametrize(("text", "entity"), [(BILLION_LAUGHS, "lol"), (EXTERNAL, "secret")])
def test_entity_declarations_are_refused(tmp_path: Path, text: str, entity: str) -> None:
    path = write(tmp_path, "bomb.eaf", text)
    with pytest.raises(ImportFailed, match="entity declarations are not allowed") as failure:
        read(path)
    assert (failure.value.file, failure.value.line) == (str(path), 3)
    assert failure.value.field == f"<!ENTITY>: {entity}"


def _broken(old: str, new: str) -> str:
    text = SPEACH.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'TIME_SLOT_REF1="ts2" TIME_SLOT_REF2="ts4"',
            'TIME_SLOT_REF1="ts2" TIME_SLOT_REF2="ts99"',
            (62, '<ANNOTATION ANNOTATION_ID="a1">: TIME_SLOT_REF2', "'ts99' names no TIME_SLOT"),
        ),
        (
            'TIME_SLOT_REF1="ts2" TIME_SLOT_REF2="ts4"',
            'TIME_SLOT_REF1="ts4" TIME_SLOT_REF2="ts2"',
            (
                62,
                '<ANNOTATION ANNOTATION_ID="a1">: TIME_SLOT_REF2',
                "expected the end after the start (2330 ms then 1040 ms)",
            ),
        ),
        (
            'ANNOTATION_ID="a38" ANNOTATION_REF="a26"',
            'ANNOTATION_ID="a38" ANNOTATION_REF="a260"',
            (
                208,
                '<ANNOTATION ANNOTATION_ID="a38">: ANNOTATION_REF',
                "'a260' names no annotation of the document",
            ),
        ),
        (
            '<TIME_SLOT TIME_SLOT_ID="ts46" TIME_VALUE="17570"/>',
            '<TIME_SLOT TIME_SLOT_ID="ts46" TIME_VALUE="17.5"/>',
            (58, "<TIME_SLOT>: TIME_VALUE", "expected whole milliseconds >= 0, got '17.5'"),
        ),
        (
            '<TIER LINGUISTIC_TYPE_REF="Utterance" TIER_ID="marker">',
            '<TIER LINGUISTIC_TYPE_REF="Marker" TIER_ID="marker">',
            (
                110,
                '<TIER TIER_ID="marker">: LINGUISTIC_TYPE_REF',
                "'Marker' names no LINGUISTIC_TYPE",
            ),
        ),
        (
            '<TIER LINGUISTIC_TYPE_REF="Utterance" TIER_ID="marker">',
            '<TIER TIER_ID="marker">',
            (
                110,
                "<TIER>: LINGUISTIC_TYPE_REF",
                "<TIER> needs a non-empty LINGUISTIC_TYPE_REF attribute",
            ),
        ),
        (
            "<ANNOTATION_VALUE>convo start</ANNOTATION_VALUE>",
            "<ANNOTATION_VALUE>convo start</ANNOTATION_VALU>",
            (114, "", "not well-formed XML: mismatched tag"),
        ),
    ],
    ids=["no-slot", "backwards", "no-parent", "fraction", "no-type", "no-type-ref", "xml"],
)
def test_a_malformed_document_names_file_line_and_element(
    tmp_path: Path, old: str, new: str, expected: tuple[int, str, str]
) -> None:
    line, field, message = expected
    path = write(tmp_path, "test.eaf", _broken(old, new))
    with pytest.raises(ImportFailed) as failure:
        read(path)
    assert (failure.value.file, failure.value.line, failure.value.field) == (str(path), line, field)
    assert failure.value.detail == message


def test_a_malformed_document_imports_nothing(engine: Engine, tmp_path: Path) -> None:
    project = create_project(engine, "elan", TIMED_ONTOLOGY, TESTER)
    good = write(tmp_path, "a.eaf", FTO.read_text(encoding="utf-8"))
    bad = write(tmp_path, "b.eaf", _broken('ANNOTATION_REF="a26"', 'ANNOTATION_REF="a260"'))
    assert good.parent == bad.parent
    before = counts(engine)
    with pytest.raises(ImportFailed, match="'a260' names no annotation"):
        import_foreign(engine, project.id, "elan", tmp_path, TESTER, mapping=MAPPING)
    assert counts(engine) == before  # a.eaf, read first and valid, is not written either


def test_unmapped_labels_are_listed_and_a_mapping_imports(engine: Engine) -> None:
    project = create_project(engine, "demo", load_ontology_file(DEMO_ONTOLOGY), TESTER)
    before = counts(engine)
    with pytest.raises(UnmappedLabels) as unmapped:
        import_foreign(engine, project.id, "elan", SPEACH, TESTER)
    assert [(u.label, u.count, u.first.line) for u in unmapped.value.labels] == [
        ("en", 15, 208),  # vocabulary entries are candidate classes
        ("Chunk", 12, 133),
        ("Utterance", 11, 62),
        ("jp", 5, 213),
    ]
    assert counts(engine) == before
    project = create_project(engine, "timed", TIMED_ONTOLOGY, TESTER)
    done = import_foreign(engine, project.id, "elan", SPEACH, TESTER, mapping=MAPPING)
    assert (done.imported.annotations, done.imported.entities, done.imported.links) == (43, 1, 40)
    [sample] = stored(engine, project.id)
    assert {a.label for a in sample.annotations} == {"speech", "language"}


def test_a_project_exported_and_imported_back_keeps_times_labels_and_links(
    engine: Engine, tmp_path: Path
) -> None:
    project = create_project(engine, "elan", TIMED_ONTOLOGY, TESTER)
    import_foreign(engine, project.id, "elan", SPEACH, TESTER, mapping=MAPPING)
    report = export_foreign(engine, project.id, "elan", tmp_path / "out")
    assert (report.files[0], report.samples, report.annotations) == ("test.eaf", 1, 43)
    # ids are unique in a store: the file's new name gives the records new ids
    (tmp_path / "out" / "test.eaf").rename(tmp_path / "again.eaf")
    fresh = create_project(engine, "again", TIMED_ONTOLOGY, TESTER)
    # the chunk tier kept its type (speech is the utterances' already): the same mapping
    import_foreign(engine, fresh.id, "elan", tmp_path / "again.eaf", TESTER, mapping=MAPPING)
    [before], [after] = stored(engine, project.id), stored(engine, fresh.id)
    assert records(after) == records(before)
    assert link_ends(after) == link_ends(before)
    assert after.metadata["speakers"] == {"again.speaker-1": "P001"}
    assert after.external_id == "test.wav"


def test_the_registry_names_the_format() -> None:
    spec = format_spec("elan")
    assert (spec.read, spec.write) == (read_elan, write_elan)
    assert "attributes" in spec.not_carried


SUBDIVIDED = """<?xml version="1.0" encoding="UTF-8"?>
<ANNOTATION_DOCUMENT AUTHOR="" DATE="2024-01-01T00:00:00+00:00" FORMAT="3.0" VERSION="3.0">
  <HEADER MEDIA_FILE="" TIME_UNITS="milliseconds">
    <MEDIA_DESCRIPTOR MEDIA_URL="file:///data/clip.mp4" MIME_TYPE="video/mp4"/>
  </HEADER>
  <TIME_ORDER>
    <TIME_SLOT TIME_SLOT_ID="ts1" TIME_VALUE="0"/>
    <TIME_SLOT TIME_SLOT_ID="ts2"/>
    <TIME_SLOT TIME_SLOT_ID="ts3"/>
    <TIME_SLOT TIME_SLOT_ID="ts4" TIME_VALUE="1500"/>
  </TIME_ORDER>
  <TIER LINGUISTIC_TYPE_REF="utterance" TIER_ID="utterances">
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="u1" TIME_SLOT_REF1="ts1" TIME_SLOT_REF2="ts4">
      <ANNOTATION_VALUE>one two three</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
  </TIER>
  <TIER LINGUISTIC_TYPE_REF="word" PARENT_REF="utterances" TIER_ID="words">
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="w1" TIME_SLOT_REF1="ts1" TIME_SLOT_REF2="ts2">
      <ANNOTATION_VALUE>one</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="w2" TIME_SLOT_REF1="ts2" TIME_SLOT_REF2="ts3">
      <ANNOTATION_VALUE>two</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
    <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="w3" TIME_SLOT_REF1="ts3" TIME_SLOT_REF2="ts4">
      <ANNOTATION_VALUE>three</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>
  </TIER>
  <TIER LINGUISTIC_TYPE_REF="morpheme" PARENT_REF="words" TIER_ID="morphemes">
    <ANNOTATION><REF_ANNOTATION ANNOTATION_ID="m1" ANNOTATION_REF="w3">
      <ANNOTATION_VALUE>thr</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>
    <ANNOTATION><REF_ANNOTATION ANNOTATION_ID="m2" ANNOTATION_REF="w3" PREVIOUS_ANNOTATION="m1">
      <ANNOTATION_VALUE></ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION>
  </TIER>
  <LINGUISTIC_TYPE LINGUISTIC_TYPE_ID="utterance" TIME_ALIGNABLE="true"/>
  <LINGUISTIC_TYPE LINGUISTIC_TYPE_ID="word" CONSTRAINTS="Time_Subdivision" TIME_ALIGNABLE="true"/>
  <LINGUISTIC_TYPE LINGUISTIC_TYPE_ID="morpheme" CONSTRAINTS="Symbolic_Subdivision"
    TIME_ALIGNABLE="false"/>
</ANNOTATION_DOCUMENT>
"""


def test_unaligned_slots_are_interpolated_and_subdivisions_link_to_their_parents(
    tmp_path: Path,
) -> None:
    sample = read(write(tmp_path, "clip.eaf", SUBDIVIDED))
    assert (sample.streams[0].modality, sample.external_id) == ("video", "clip.mp4")
    assert records(sample) == [
        ("u1", "utterance", TranscriptSegment(start=0.0, end=1.5, text="one two three")),
        # ts2 and ts3 have no time: spread evenly between ts1 and ts4
        ("w1", "word", TranscriptSegment(start=0.0, end=0.5, text="one")),
        ("w2", "word", TranscriptSegment(start=0.5, end=1.0, text="two")),
        ("w3", "word", TranscriptSegment(start=1.0, end=1.5, text="three")),
        # symbolic subdivisions span their parent; an empty value is an interval
        ("m1", "morpheme", TranscriptSegment(start=1.0, end=1.5, text="thr")),
        ("m2", "morpheme", Interval(start=1.0, end=1.5)),
    ]
    assert link_ends(sample) == [
        ("part-of", "m1", "w3"),
        ("part-of", "m2", "w3"),
        ("part-of", "w1", "u1"),
        ("part-of", "w2", "u1"),
        ("part-of", "w3", "u1"),
    ]
    (tmp_path / "out").mkdir()
    write_elan([sample], TIMED_ONTOLOGY, tmp_path / "out")
    written = (tmp_path / "out" / "clip.eaf").read_text(encoding="utf-8")
    assert 'ANNOTATION_ID="m2" ANNOTATION_REF="w3" PREVIOUS_ANNOTATION="m1"' in written
    assert read(tmp_path / "out" / "clip.eaf") == sample
