"""Writing ELAN documents: one ``<sample id>.eaf`` per sample.

The annotations are the intervals and transcript segments of the sample's first audio or
video stream that holds any (`rosetta.formats.timed.main_stream`), laid out in tiers
(`rosetta.formats.elan.tiers`); the writer builds a `pympi.Elan.Eaf` and serialises it
with pympi (EAF 3.0, one time slot per distinct time, times rounded to milliseconds), a
media descriptor per audio or video stream. What ELAN cannot carry goes to
``not_carried.jsonl`` (`rosetta.formats.not_carried`), which the reader puts back.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from pympi.Elan import Eaf, to_string

from rosetta.core.geometry import TranscriptSegment
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Sample, Stream
from rosetta.formats import timed
from rosetta.formats.elan.document import SYMBOLIC
from rosetta.formats.elan.tiers import Layout, OutTier
from rosetta.formats.interchange import WriteReport
from rosetta.formats.not_carried import NotCarried, ReadBack


def _media_descriptors(sample: Sample, streams: list[Stream]) -> list[dict[str, str]]:
    """A descriptor per audio/video stream: the document's own when its file name is the
    stream's, else ``MEDIA_URL`` from the stream's URI."""
    elan = sample.metadata.get("elan")
    saved = (elan.get("media") if isinstance(elan, dict) else None) or []
    descriptors = []
    for index, stream in enumerate(streams):
        uri = stream.uri or stream.name
        name = PurePosixPath(timed.url_path(uri)).name
        original = saved[index] if index < len(saved) else {}
        if PurePosixPath(timed.url_path(original.get("url", ""))).name == name:
            url, relative = original["url"], original.get("relative_url")
        else:
            absolute = "://" in uri or uri.startswith("/")
            url, relative = (uri if absolute else f"file:///{uri}"), f"./{name}"
        suffix = PurePosixPath(name).suffix.lstrip(".") or "x"
        descriptor = {
            "MEDIA_URL": url,
            "MIME_TYPE": stream.media.mime or f"{stream.modality}/{suffix}",
        }
        if relative:
            descriptor["RELATIVE_MEDIA_URL"] = relative
        descriptors.append(descriptor)
    return descriptors


def _eaf(sample: Sample) -> Eaf:
    """An empty EAF 3.0 document for `sample`, with its media descriptors."""
    eaf = Eaf(author="rosetta")
    eaf.adocument.update(
        {
            "DATE": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "VERSION": "3.0",
            "FORMAT": "3.0",
            "xsi:noNamespaceSchemaLocation": "http://www.mpi.nl/tools/elan/EAFv3.0.xsd",
        }
    )
    eaf.header = {"MEDIA_FILE": "", "TIME_UNITS": "milliseconds"}
    eaf.properties, eaf.tiers, eaf.linguistic_types = [], {}, {}
    eaf.constraints = dict(Eaf.CONSTRAINTS)
    timed_streams = [s for s in sample.streams if s.modality in (Modality.AUDIO, Modality.VIDEO)]
    eaf.media_descriptors = _media_descriptors(sample, timed_streams)
    return eaf


def _document(sample: Sample, back: ReadBack) -> tuple[Eaf, int]:
    """The ELAN document of `sample` and how many annotations it holds, noting in `back`
    the ids its records get when it is read back."""
    annotations = timed.timed_annotations(sample, timed.main_stream(sample))
    layout = Layout(sample, annotations)
    stem = sample.id
    media = [s for s in sample.streams if s.modality in (Modality.AUDIO, Modality.VIDEO)]
    for index, stream in enumerate(media, start=1):
        back.put(stream.id, stem, f"{stem}.media{index}")
    eaf = _eaf(sample)
    _vocabularies(eaf, layout)
    slot = {
        ms: f"ts{n}"
        for n, ms in enumerate(sorted({t for s in layout.spans.values() for t in s}), 1)
    }
    eaf.timeslots = {name: ms for ms, name in slot.items()}
    for order, tier in enumerate(layout.tiers.values()):
        aligned: dict[str, tuple[str, str, str, None]] = {}
        references: dict[str, tuple[str, str, str | None, None]] = {}
        previous: dict[str, str] = {}
        for annotation in tier.members:
            elan_id = layout.elan_ids[annotation.id]
            value = _value(annotation, tier)
            timed.drop_parts(back, annotation)
            if tier.constraint in SYMBOLIC:
                parent = layout.elan_ids[layout.parent_of[annotation.id][0]]
                before = previous.get(parent) if tier.constraint == "Symbolic_Subdivision" else None
                references[elan_id] = (parent, value, before, None)
                previous[parent] = elan_id
            else:
                start, end = layout.spans[annotation.id]
                aligned[elan_id] = (slot[start], slot[end], value, None)
        attributes = {
            "TIER_ID": tier.id,
            "LINGUISTIC_TYPE_REF": tier.type,
            "PARTICIPANT": tier.participant,
            "PARENT_REF": tier.parent,
            "ANNOTATOR": tier.annotator,
        }
        eaf.tiers[tier.id] = (aligned, references, _no_none(attributes), order)
    for name in dict.fromkeys(tier.type for tier in layout.tiers.values()):
        kind = layout.types[name]
        eaf.linguistic_types[name] = _no_none(
            {
                "LINGUISTIC_TYPE_ID": name,
                "TIME_ALIGNABLE": "false" if kind.get("constraint") in SYMBOLIC else "true",
                "CONSTRAINTS": kind.get("constraint"),
                "CONTROLLED_VOCABULARY_REF": kind.get("vocabulary"),
                "GRAPHIC_REFERENCES": "false",
            }
        )
    layout.put_read_back(sample, stem, back)
    back.drop_sample_fields(sample, carried=("elan", timed.SPEAKERS))
    return eaf, len(annotations)


def _value(annotation: Annotation, tier: OutTier) -> str:
    if tier.vocabulary is not None:
        return annotation.label
    geometry = annotation.geometry
    return geometry.text if isinstance(geometry, TranscriptSegment) else ""


def _vocabularies(eaf: Eaf, layout: Layout) -> None:
    """The vocabularies of the tiers that have one, with an entry added for each label
    that a vocabulary lacks."""
    saved: dict[str, dict[str, str]] = layout.saved.get("vocabularies") or {}
    wanted: defaultdict[str, list[str]] = defaultdict(list)
    for tier in layout.tiers.values():
        if tier.vocabulary is not None:
            wanted[tier.vocabulary] += [a.label for a in tier.members]
    eaf.controlled_vocabularies = {}
    if wanted:
        eaf.languages = {"und": ("http://cdb.iso.org/lg/CDB-00130975-001", "undetermined (und)")}
    for cv_id, labels in wanted.items():
        entries = dict(saved.get(cv_id, {}))
        known = set(entries.values())
        for label in dict.fromkeys(labels):
            if label not in known:
                entries[f"cveid_{cv_id}_{len(entries) + 1}"] = label
                known.add(label)
        eaf.controlled_vocabularies[cv_id] = (
            [("und", None)],
            {cve: ([(value, "und", None)], None) for cve, value in entries.items()},
            None,
        )


def _no_none(values: dict[str, str | None]) -> dict[str, str]:
    return {key: value for key, value in values.items() if value is not None}


def write_elan(samples: Iterable[Sample], ontology: Ontology, out: Path) -> WriteReport:
    """One ``<sample id>.eaf`` per sample in `out`; what ELAN cannot carry goes to
    ``not_carried.jsonl`` (`rosetta.formats.not_carried`)."""
    files: list[str] = []
    count = annotations = 0
    with NotCarried(out) as sidecar:
        for sample in samples:
            back = ReadBack()
            eaf, written = _document(sample, back)
            sidecar.add(sample, back)
            name = f"{sample.id}.eaf"
            text = '<?xml version="1.0" encoding="UTF-8"?>\n' + to_string(eaf, pretty=True)
            (out / name).write_text(text, encoding="utf-8")
            files.append(name)
            count += 1
            annotations += written
    return WriteReport(files + sidecar.files(), count, annotations, sidecar.report())
