"""Loading ontologies (and the errors that name what is wrong), the is-a rules, guidelines."""

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import DEMO_ONTOLOGY
from rosetta.core.errors import OntologyError
from rosetta.core.ontology import AttributeDef, AttributeType, MediaRef, Ontology, parse_ontology
from rosetta.demo.build import demo_samples
from rosetta.services.projects import load_ontology_file


def _classes(*classes: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"classes": list(classes), **extra}


def test_the_demo_ontology_loads(demo_ontology: Ontology) -> None:
    assert demo_ontology.name == "rosetta-demo"
    assert demo_ontology.version == 1
    assert {"thing", "person", "cat", "car", "spacecraft", "cup", "flag", "speech", "scene"} <= set(
        demo_ontology.class_map
    )
    assert set(demo_ontology.relation_map) == {
        "refers-to",
        "synchronized-with",
        "same-as",
        "speaker-of",
        "cites",
    }
    assert [criterion.name for criterion in demo_ontology.rubric] == [
        "accuracy",
        "completeness",
        "tone",
        "safety",
    ]
    assert demo_ontology.relation_map["refers-to"].directed
    assert not demo_ontology.relation_map["synchronized-with"].directed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            _classes({"name": "a", "parent": "b"}, {"name": "b", "parent": "a"}),
            "is-a cycle",
            id="cycle",
        ),
        pytest.param(
            _classes({"name": "a", "parent": "a"}),
            "is-a cycle through 'a'",
            id="own parent",
        ),
        pytest.param(
            _classes({"name": "cat", "parent": "animal"}),
            "class 'cat': parent 'animal' is not a class",
            id="unknown parent",
        ),
        pytest.param(
            _classes({"name": "cat"}, {"name": "dog"}, {"name": "cat"}),
            r"class names must be unique; repeated: \['cat'\]",
            id="duplicate name",
        ),
        pytest.param(
            _classes(
                {"name": "a"}, {"name": "b", "attributes": [{"name": "size", "type": "enum"}]}
            ),
            r"classes\.1\.attributes\.0: .*enum attribute 'size' needs a non-empty 'values' list",
            id="enum without values",
        ),
        pytest.param(
            _classes({"name": "a", "attributes": [{"name": "n", "type": "colour"}]}),
            r"classes\.0\.attributes\.0\.type: Input should be 'enum', 'bool', 'number' or 'text'",
            id="unknown attribute type",
        ),
        pytest.param(
            _classes({"name": "a", "attributes": [{"name": "n", "type": "text", "pattern": "("}]}),
            r"classes\.0\.attributes\.0: .*bad pattern",
            id="bad pattern",
        ),
        pytest.param(
            _classes({"name": "a", "geometries": ["box", "blob"]}),
            r"classes\.0\.geometries\.1",
            id="unknown geometry",
        ),
        pytest.param(
            _classes({"name": "a", "colour": "red"}),
            r"classes\.0\.colour: Extra inputs are not permitted",
            id="unknown key",
        ),
        pytest.param(
            _classes({"name": "a"}, relations=[{"name": "r", "source": {"classes": ["b"]}}]),
            "relation 'r': endpoint class 'b' is unknown",
            id="relation endpoint class",
        ),
        pytest.param(
            _classes({"name": "a"}, relations=[{"name": "r"}, {"name": "r"}]),
            "relation type names must be unique",
            id="duplicate relation",
        ),
        pytest.param({"relations": []}, r"classes: Field required", id="no classes"),
        pytest.param(
            _classes({"name": "a", "guideline": {"text": ""}}),
            r"classes\.0\.guideline\.text: String should have at least 1 character",
            id="empty guideline text",
        ),
        pytest.param(
            _classes(
                {
                    "name": "a",
                    "guideline": {
                        "text": "t",
                        "negative": [{"note": "n", "media": {"url": "https://example.com/a.jpg"}}],
                    },
                }
            ),
            r"classes\.0\.guideline\.negative\.0\.media\.sample: Field required",
            id="example media is not a url",
        ),
        pytest.param(
            _classes(
                {
                    "name": "a",
                    "guideline": {
                        "text": "t",
                        "clarifications": [{"date": "soon", "question": "q", "answer": "a"}],
                    },
                }
            ),
            r"classes\.0\.guideline\.clarifications\.0\.date: Input should be a valid date",
            id="undated clarification",
        ),
        pytest.param(
            _classes({"name": "a"}, relations=[{"name": "r", "guideline": {"examples": []}}]),
            r"relations\.0\.guideline\.text: Field required",
            id="relation guideline without text",
        ),
    ],
)
def test_a_malformed_ontology_is_refused_naming_the_field(
    data: dict[str, Any], message: str
) -> None:
    with pytest.raises(OntologyError, match=message) as caught:
        parse_ontology(data, source="team.yaml")
    assert str(caught.value).startswith("team.yaml: ")


def test_a_file_that_is_not_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("classes:\n  - name: a\n  - name: [b\n", encoding="utf-8")
    with pytest.raises(OntologyError, match=r"broken\.yaml:\d+: not valid YAML"):
        load_ontology_file(path)


def test_a_file_that_breaks_a_rule_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cycle.yaml"
    path.write_text("classes:\n  - {name: a, parent: b}\n  - {name: b, parent: a}\n", "utf-8")
    with pytest.raises(OntologyError, match=r"cycle\.yaml: ontology: .*is-a cycle"):
        load_ontology_file(path)
    assert load_ontology_file(DEMO_ONTOLOGY).name == "rosetta-demo"


def test_guidelines_round_trip_through_json_and_yaml(tmp_path: Path) -> None:
    data = _classes(
        {
            "name": "cup",
            "guideline": {
                "text": "A drinking vessel with a handle.",
                "positive": [{"note": "A mug", "media": {"sample": "s1", "select": "a1"}}],
                "negative": [{"note": "A bowl"}],
                "clarifications": [
                    {"date": "2025-03-04", "question": "A jug?", "answer": "No: object."}
                ],
            },
        },
        relations=[{"name": "holds", "guideline": {"text": "From the hand to the cup."}}],
    )
    ontology = parse_ontology(data)
    guideline = ontology.class_map["cup"].guideline
    assert guideline is not None
    assert guideline.positive[0].media == MediaRef(sample="s1", select="a1")
    assert guideline.negative[0].media is None
    assert guideline.clarifications[0].date == date(2025, 3, 4)
    relation_guideline = ontology.relation_map["holds"].guideline
    assert relation_guideline is not None
    assert relation_guideline.text == "From the hand to the cup."

    dumped = ontology.model_dump(mode="json", exclude_none=True)
    assert dumped["classes"][0]["guideline"]["clarifications"][0]["date"] == "2025-03-04"
    assert parse_ontology(dumped) == ontology
    path = tmp_path / "cups.yaml"
    path.write_text(yaml.safe_dump(dumped), encoding="utf-8")
    assert load_ontology_file(path) == ontology


def test_the_demo_guidelines_show_objects_of_the_demo(demo_ontology: Ontology) -> None:
    guidelines = [
        *(c.guideline for c in demo_ontology.classes),
        *(r.guideline for r in demo_ontology.relations),
    ]
    examples = [
        example
        for guideline in guidelines
        if guideline is not None
        for example in (*guideline.positive, *guideline.negative)
    ]
    assert demo_ontology.relation_map["refers-to"].guideline is not None
    for name in ("person", "cat", "spacecraft", "cup", "flag", "speech", "scene"):
        guideline = demo_ontology.class_map[name].guideline
        assert guideline is not None
        assert guideline.positive
        assert guideline.negative
    objects = {
        (sample.id, ident)
        for sample in demo_samples()
        for ident in (*(a.id for a in sample.annotations), *(link.id for link in sample.links))
    }
    shown = {(e.media.sample, e.media.select) for e in examples if e.media is not None}
    assert len(shown) >= 10
    assert shown <= objects


def test_is_a_and_compatible(demo_ontology: Ontology) -> None:
    assert demo_ontology.ancestors("cat") == ("cat", "animal", "thing")
    assert demo_ontology.is_a("cat", "animal")
    assert demo_ontology.is_a("cat", "thing")
    assert demo_ontology.is_a("cat", "cat")
    assert not demo_ontology.is_a("animal", "cat")
    assert not demo_ontology.is_a("cat", "vehicle")
    assert not demo_ontology.is_a("dragon", "thing")
    assert demo_ontology.compatible("cat", "animal")
    assert demo_ontology.compatible("thing", "spacecraft")
    assert not demo_ontology.compatible("car", "spacecraft")
    assert not demo_ontology.compatible("cat", "person")
    assert not demo_ontology.compatible("speech", "thing")


def test_attributes_are_inherited_and_nearer_definitions_win() -> None:
    ontology = parse_ontology(
        _classes(
            {"name": "thing", "attributes": [{"name": "colour", "type": "text"}]},
            {
                "name": "cup",
                "parent": "thing",
                "attributes": [{"name": "colour", "type": "enum", "values": ["red", "white"]}],
            },
            {"name": "mug", "parent": "cup", "attributes": [{"name": "handle", "type": "bool"}]},
        )
    )
    mug = ontology.attributes_of("mug")
    assert set(mug) == {"handle", "colour"}
    assert mug["colour"].type is AttributeType.ENUM
    assert ontology.attributes_of("thing")["colour"].type is AttributeType.TEXT
    assert mug["colour"].problem("blue") == "expected one of ['red', 'white'], got 'blue'"
    assert mug["colour"].problem("red") is None


def test_geometries_are_inherited_from_the_nearest_ancestor_that_says(
    demo_ontology: Ontology,
) -> None:
    ontology = parse_ontology(
        _classes(
            {"name": "sound", "geometries": ["interval", "transcript"]},
            {"name": "speech", "parent": "sound"},
            {"name": "chant", "parent": "speech", "geometries": ["transcript"]},
            {"name": "thing"},
        )
    )
    assert ontology.allowed_geometries("speech") == {"interval", "transcript"}
    assert ontology.allowed_geometries("chant") == {"transcript"}
    assert ontology.allowed_geometries("thing") is None
    assert demo_ontology.allowed_geometries("scene") == {"classification", "interval"}
    assert demo_ontology.allowed_geometries("cat") is None


@pytest.mark.parametrize(
    ("definition", "good", "bad", "problem"),
    [
        ({"type": "bool"}, True, 1, "expected true or false, got 1"),
        ({"type": "number", "min": 0, "max": 1}, 0.5, 1.5, "expected at most 1.0, got 1.5"),
        ({"type": "number"}, 3, "3", "expected a number, got '3'"),
        ({"type": "text", "max_length": 3}, "abc", "abcd", "expected at most 3 characters, got 4"),
        ({"type": "text", "pattern": "[a-z]{2}"}, "en", "EN", "expected text matching '[a-z]{2}'"),
        ({"type": "enum", "values": ["x"]}, "x", "y", "expected one of ['x'], got 'y'"),
    ],
)
def test_attribute_values_are_checked_by_type(
    definition: dict[str, Any], good: object, bad: object, problem: str
) -> None:
    attribute = AttributeDef.model_validate({"name": "a", **definition})
    assert attribute.problem(good) is None
    found = attribute.problem(bad)
    assert found is not None
    assert found.startswith(problem)


_TONE = {"name": "tone", "type": "enum", "values": ["calm", "frustrated"]}
_EXPRESSION = {"name": "expression", "type": "enum", "values": ["smile", "frown"]}


def _rule(**overrides: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "name": "frustrated-not-smiling",
        "relations": ["synchronized-with"],
        "when": {"class": "speech", "attribute": "tone", "values": ["frustrated"]},
        "excludes": [{"class": "face", "attribute": "expression", "values": ["smile"]}],
    }
    return {**rule, **overrides}


def _ruled(*rules: dict[str, Any]) -> dict[str, Any]:
    return _classes(
        {"name": "speech", "attributes": [_TONE]},
        {"name": "face", "attributes": [_EXPRESSION]},
        {"name": "smiling-face", "parent": "face"},
        relations=[{"name": "synchronized-with", "directed": False}],
        attribute_rules=list(rules),
    )


def test_attribute_rules_say_which_annotations_meet_their_conditions() -> None:
    ontology = parse_ontology(_ruled(_rule()))
    rule = ontology.attribute_rules[0]
    assert rule.when.holds(ontology, "speech", {"tone": "frustrated"})
    assert not rule.when.holds(ontology, "speech", {"tone": "calm"})
    assert not rule.when.holds(ontology, "speech", {})
    (excluded,) = rule.excludes
    assert excluded.holds(ontology, "smiling-face", {"expression": "smile"})  # a subclass
    assert not excluded.holds(ontology, "speech", {"expression": "smile"})
    # The YAML key is `class`, and it is written back as `class`.
    assert ontology.model_dump()["attribute_rules"][0]["when"]["class"] == "speech"
    assert parse_ontology(ontology.model_dump()) == ontology


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (_rule(relations=["same-as"]), r"relation 'same-as' is unknown"),
        (
            _rule(when={"class": "voice", "attribute": "tone", "values": ["x"]}),
            r"class 'voice' is unknown",
        ),
        (
            _rule(excludes=[{"class": "face", "attribute": "tone", "values": ["x"]}]),
            r"class 'face' has no attribute 'tone'",
        ),
        (_rule(excludes=[]), r"attribute_rules\.0\.excludes: List should have at least 1 item"),
    ],
)
def test_a_malformed_attribute_rule_is_refused(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(OntologyError, match=message):
        parse_ontology(_ruled(rule), source="team.yaml")
    with pytest.raises(OntologyError, match="attribute rule names must be unique"):
        parse_ontology(_ruled(_rule(), _rule()))
