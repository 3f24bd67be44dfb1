"""Mapping a foreign file's labels onto the ontology: a label naming a class maps to it,
a mapping file renames, `drop` leaves annotations out (and what pointed at them), and
anything else stops the import with every unmapped label, its count, its first place and
the closest classes."""

import pytest

from rosetta.core.errors import RosettaError
from rosetta.core.geometry import Box, TextSpan
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Entity, Link, Sample, Stream
from rosetta.formats.interchange import ForeignSample, Origin
from rosetta.formats.label_map import (
    LabelMap,
    MappingTally,
    UnmappedLabels,
    map_labels,
    parse_label_map,
)


def _foreign() -> ForeignSample:
    streams = [
        Stream(id="img", name="image", modality="image", media={"width": 100, "height": 100}),
        Stream(id="txt", name="caption", modality="text", text="a dog", media={"length": 5}),
    ]
    annotations = [
        Annotation(id="a1", stream="img", label="Dog", geometry=Box(x=1, y=1, w=9, h=9)),
        Annotation(id="a2", stream="img", label="person", geometry=Box(x=2, y=2, w=5, h=5)),
        Annotation(id="a3", stream="img", label="DontCare", geometry=Box(x=3, y=3, w=5, h=5)),
        Annotation(id="a4", stream="txt", label="Dgo", geometry=TextSpan(start=2, end=5)),
    ]
    return ForeignSample(
        Sample(
            id="s",
            streams=streams,
            annotations=annotations,
            entities=[Entity(id="e", members=["a2", "a3"])],
            links=[
                Link(id="l1", type="Coref", source="a4", target="a1"),
                Link(id="l2", type="refers-to", source="a4", target="a3"),
            ],
        ),
        Origin("labels.json", 3),
        {"a4": Origin("labels.json", 9, "annotations[3]"), "l1": Origin("labels.json", 12)},
    )


def test_labels_naming_classes_map_and_the_rest_are_reported_together(
    demo_ontology: Ontology,
) -> None:
    tally = MappingTally()
    mapped = map_labels(_foreign(), demo_ontology, LabelMap(), tally)
    assert [a.label for a in mapped.annotations] == ["Dog", "person", "DontCare", "Dgo"]
    assert tally.unmapped == {"Dog": 1, "DontCare": 1, "Dgo": 1}
    with pytest.raises(UnmappedLabels) as caught:
        tally.raise_if_unmapped(demo_ontology)
    message = str(caught.value)
    assert "3 label(s) map to no class of the ontology" in message
    assert "'Dgo': 1 annotations, first at labels.json:9 (annotations[3])" in message
    assert "'DontCare': 1 annotations, first at labels.json:3" in message
    assert [u.label for u in caught.value.labels] == ["Dgo", "Dog", "DontCare"]


def test_a_mapping_renames_drops_and_maps_relations(demo_ontology: Ontology) -> None:
    mapping = parse_label_map(
        {
            "labels": {"Dog": "animal", "Dgo": "animal"},
            "relations": {"Coref": "same-as"},
            "drop": ["DontCare"],
        }
    )
    tally = MappingTally()
    mapped = map_labels(_foreign(), demo_ontology, mapping, tally)
    assert [(a.id, a.label) for a in mapped.annotations] == [
        ("a1", "animal"),
        ("a2", "person"),
        ("a4", "animal"),
    ]
    assert [(k.id, k.type) for k in mapped.links] == [("l1", "same-as")]  # l2 pointed at a3
    assert mapped.entities[0].members == ["a2"]
    assert tally.dropped == {"DontCare": 1}
    tally.raise_if_unmapped(demo_ontology)  # nothing left unmapped


def test_an_unmapped_relation_is_reported_with_its_place(demo_ontology: Ontology) -> None:
    tally = MappingTally()
    map_labels(
        _foreign(),
        demo_ontology,
        LabelMap(labels={"Dog": "animal", "Dgo": "animal"}, drop=["DontCare"]),
        tally,
    )
    with pytest.raises(UnmappedLabels, match=r"'Coref': 1 links, first at labels.json:12"):
        tally.raise_if_unmapped(demo_ontology)


def test_a_malformed_mapping_names_the_field() -> None:
    with pytest.raises(RosettaError, match=r"map.yaml: labels.Dog: Input should be a valid string"):
        parse_label_map({"labels": {"Dog": 3}}, "map.yaml")
    with pytest.raises(RosettaError, match=r"map.yaml: colours: Extra inputs are not permitted"):
        parse_label_map({"colours": {}}, "map.yaml")


def test_attributes_the_ontology_lacks_are_renamed_or_left_out(demo_ontology: Ontology) -> None:
    foreign = _foreign()
    box = foreign.sample.annotations[1].model_copy(
        update={"attributes": {"truncated": True, "Role": "astronaut", "occluded": False}}
    )
    sample = foreign.sample.model_copy(update={"annotations": [box]})
    mapping = parse_label_map({"attributes": {"truncated": None, "Role": "role"}})
    mapped = map_labels(
        ForeignSample(sample, foreign.origin), demo_ontology, mapping, MappingTally()
    )
    assert mapped.annotations[0].attributes == {"role": "astronaut", "occluded": False}
