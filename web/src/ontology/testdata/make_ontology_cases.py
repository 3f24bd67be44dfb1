"""Write ontologyCases.ts: what the server's rules answer for links and attribute values.

For two ontologies (the one of tests/test_validation.py and the demo's), every relation
type between every ordered pair of a set of annotations and entities, as
`rosetta.core.validation.check_link` judges it, and attribute values as
`AttributeDef.problem` judges them. `relations.test.ts` and `attributes.test.ts` replay
them. Regenerate after a change to the rules, from the repository root:

    .venv/bin/python web/src/ontology/testdata/make_ontology_cases.py
"""

import json
from pathlib import Path
from typing import Any

from rosetta.core.errors import RuleViolation
from rosetta.core.geometry import (
    Box,
    Classification,
    Cuboid,
    Geometry,
    Interval,
    TextSpan,
    TranscriptSegment,
)
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology, parse_ontology
from rosetta.core.schema import Annotation, Entity, Link, Stream
from rosetta.core.validation import Endpoint, check_link
from rosetta.services.projects import load_ontology_file

ROOT = Path(__file__).resolve().parents[4]
OUT = Path(__file__).with_name("ontologyCases.ts")

RULES = parse_ontology(
    {
        "classes": [
            {"name": "thing"},
            {"name": "person", "parent": "thing"},
            {"name": "pilot", "parent": "person"},
            {"name": "animal", "parent": "thing"},
            {"name": "speech", "geometries": ["interval", "transcript"]},
            {"name": "monologue", "parent": "speech"},
        ],
        "relations": [
            {
                "name": "refers-to",
                "source": {"geometries": ["span"], "entity": False},
                "target": {"modalities": ["image", "video"]},
            },
            {
                "name": "caption-of",
                "directed": False,
                "source": {"geometries": ["span"]},
                "target": {"geometries": ["box"]},
            },
            {"name": "same-as", "directed": False},
            {
                "name": "speaker-of",
                "source": {"classes": ["person"]},
                "target": {"classes": ["speech"], "entity": False},
            },
            {"name": "nothing-to", "target": {"geometries": []}},
        ],
    }
)

STREAMS = [
    Stream(id="text", name="t", modality=Modality.TEXT),
    Stream(id="image", name="i", modality=Modality.IMAGE),
    Stream(id="video", name="v", modality=Modality.VIDEO),
    Stream(id="audio", name="a", modality=Modality.AUDIO),
    Stream(id="lidar", name="l", modality=Modality.POINTCLOUD),
]


def _annotation(ident: str, stream: str | None, label: str, geometry: Geometry) -> Annotation:
    return Annotation(id=ident, stream=stream, label=label, geometry=geometry)


def _ends(speech: str, person: str, animal: str) -> list[Annotation | Entity]:
    segment = TranscriptSegment(start=0, end=1, text="hi")
    return [
        _annotation("span", "text", person, TextSpan(start=0, end=2)),
        _annotation("box", "image", person, Box(x=0, y=0, w=1, h=1)),
        _annotation("frame-box", "video", animal, Box(x=0, y=0, w=1, h=1, frame=0)),
        _annotation("words", "audio", speech, Interval(start=0, end=1)),
        _annotation("said", "audio", speech, segment),
        _annotation("cuboid", "lidar", animal, Cuboid(center=(0, 0, 0), size=(1, 1, 1))),
        _annotation("scene", None, "thing", Classification()),
        Entity(id="crew", members=["box", "span"]),
        Entity(id="pets", members=["frame-box"]),
        Entity(id="named", label=person, members=["frame-box"]),
        Entity(id="empty"),
    ]


def _link_cases(ontology: Ontology, ends: list[Annotation | Entity]) -> list[list[Any]]:
    endpoints: dict[str, Endpoint] = {end.id: end for end in ends}
    annotations = {end.id: end for end in ends if isinstance(end, Annotation)}
    streams = {stream.id: stream for stream in STREAMS}
    cases: list[list[Any]] = []
    for relation in [*ontology.relations, None]:
        kind = "unknown" if relation is None else relation.name
        for source in [*ends, None]:
            for target in ends:
                source_id = "ghost" if source is None else source.id
                link = Link(id="l", type=kind, source=source_id, target=target.id)
                try:
                    check_link(link, endpoints, streams, annotations, ontology)
                    outcome = None
                except RuleViolation as exc:
                    outcome = [exc.rule, exc.field, exc.detail]
                cases.append([kind, source_id, target.id, outcome])
    return cases


def _sample(ends: list[Annotation | Entity]) -> dict[str, Any]:
    return {
        "streams": [s.model_dump(mode="json", include={"id", "modality"}) for s in STREAMS],
        "annotations": [
            e.model_dump(mode="json", include={"id", "label", "geometry", "stream"})
            for e in ends
            if isinstance(e, Annotation)
        ],
        "entities": [
            e.model_dump(mode="json", include={"id", "label", "members"})
            for e in ends
            if isinstance(e, Entity)
        ],
    }


VALUES: list[Any] = [True, False, 0, 1, 0.5, 1.5, 130, 131, -1, "3", "", "abc", "abcd"]
VALUES += ["en", "EN", "en-GB", "x", "y", "pilot", "😀😀😀", None, [], {}]
DEFINITIONS: list[dict[str, Any]] = [
    {"name": "a", "type": "bool"},
    {"name": "a", "type": "number", "min": 0, "max": 1},
    {"name": "a", "type": "number", "min": 0, "max": 130},
    {"name": "a", "type": "number"},
    {"name": "a", "type": "text", "max_length": 3},
    {"name": "a", "type": "text", "pattern": "[a-z]{2}(-[A-Z]{2})?"},
    {"name": "a", "type": "text", "pattern": "(?P<x>[a-z])(?P=x)?"},
    {"name": "a", "type": "enum", "values": ["x", "pilot"]},
]


def _attribute_cases() -> list[list[Any]]:
    demo = load_ontology_file(ROOT / "src/rosetta/demo/ontology.yaml")
    definitions = [
        *DEFINITIONS,
        *(a.model_dump(mode="json") for c in demo.classes for a in c.attributes),
    ]
    cases = []
    for definition in definitions:
        attribute = (
            RULES.model_validate({"classes": [{"name": "c", "attributes": [definition]}]})
            .classes[0]
            .attributes[0]
        )
        for value in VALUES:
            cases.append(
                [attribute.model_dump(mode="json"), value, attribute.problem(value) is None]
            )
    return cases


def main() -> None:
    demo = load_ontology_file(ROOT / "src/rosetta/demo/ontology.yaml")
    rules_ends = _ends("speech", "person", "animal")
    demo_ends = _ends("speech", "person", "cat")
    data = {
        "rules": RULES.model_dump(mode="json"),
        "demo": demo.model_dump(mode="json"),
        "rulesSample": _sample(rules_ends),
        "demoSample": _sample(demo_ends),
        "rulesLinks": _link_cases(RULES, rules_ends),
        "demoLinks": _link_cases(demo, demo_ends),
        "attributes": _attribute_cases(),
    }
    OUT.write_text(
        "// Generated by make_ontology_cases.py from rosetta.core; do not edit.\n"
        'import type { OntologyCases } from "./ontologyCase";\n\n'
        f"export const CASES: OntologyCases = {json.dumps(data, separators=(',', ':'))};\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
