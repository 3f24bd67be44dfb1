"""Ontology migrations: the plan (pure) and applying it to a project's annotations, with a record."""

from dataclasses import asdict
from datetime import date
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, func, select

from builders import box, insert_sample, span, speech, streams_of
from conftest import TESTER
from rosetta.core.errors import ConflictError, OntologyError, RuleViolation
from rosetta.core.geometry import Box
from rosetta.core.ontology import Clarification, ClassDef, Guideline, Ontology, parse_ontology
from rosetta.core.ontology_migration import Migration, parse_migration, plan_migration
from rosetta.core.schema import Annotation, Entity, Link, Project, Sample
from rosetta.services.editing import create_annotation, create_link, update_annotation
from rosetta.services.ontology_migrations import migrate_ontology
from rosetta.services.projects import find_project, load_ontology
from rosetta.services.review import review_queue
from rosetta.store.events import history
from rosetta.store.records import load_sample
from rosetta.store.tables import events, ontology_versions


def _migration(*operations: dict[str, Any], description: str = "") -> Migration:
    return parse_migration({"description": description, "operations": list(operations)})


def _sample(engine: Engine) -> Sample:
    with engine.connect() as connection:
        return load_sample(connection, "s1")


def _annotation(engine: Engine, ident: str) -> Annotation:
    return next(a for a in _sample(engine).annotations if a.id == ident)


def _link(engine: Engine, ident: str) -> Link:
    return next(link for link in _sample(engine).links if link.id == ident)


def _entity(engine: Engine, ident: str) -> Entity:
    return next(e for e in _sample(engine).entities if e.id == ident)


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _confirmed(ident: str, type_: str, source: str, target: str) -> Link:
    return Link(
        id=ident,
        type=type_,
        source=source,
        target=target,
        status="confirmed",
        source_revision=1,
        target_revision=1,
    )


@pytest.fixture
def zoo(engine: Engine, project: Project) -> Project:
    """Sample s1 with people, cats, vehicles and a cup, two entities and confirmed links."""
    insert_sample(
        engine,
        project.id,
        Sample(
            id="s1",
            streams=streams_of("s1"),
            annotations=[
                span("mention", "s1", 3, 12),
                box("astronaut", "s1", "person").model_copy(
                    update={"attributes": {"role": "astronaut"}}
                ),
                box("kitty", "s1", "cat", x=200).model_copy(
                    update={"attributes": {"species": "tabby"}}
                ),
                box("kitty2", "s1", "cat", x=300),
                box("car1", "s1", "car", x=0, y=300),
                box("rocket", "s1", "spacecraft", x=100, y=300),
                box("cup1", "s1", "cup", x=200, y=300),
                speech("words", "s1"),
            ],
            entities=[
                Entity(id="crew", label="person", members=["astronaut"]),
                Entity(id="pets", label="cat", members=["kitty", "kitty2"]),
            ],
            links=[
                _confirmed("ref-astronaut", "refers-to", "mention", "astronaut"),
                _confirmed("ref-kitty", "refers-to", "mention", "kitty"),
                _confirmed("same-vehicle", "same-as", "car1", "rocket"),
                _confirmed("speaks", "speaker-of", "crew", "words"),
            ],
        ),
    )
    return project


# --- applying migrations ---------------------------------------------------------------------


def test_add_class_changes_no_annotation_and_new_ones_may_use_it(
    engine: Engine, zoo: Project
) -> None:
    before = _sample(engine)
    with pytest.raises(RuleViolation, match="label-known"):
        create_annotation(engine, zoo.id, "s1", box("r2", "s1", "robot"), TESTER)

    report = migrate_ontology(
        engine,
        zoo.id,
        _migration({"op": "add_class", "class": {"name": "robot", "parent": "thing"}}),
        TESTER,
    )

    assert asdict(report) == {
        "from_version": 1,
        "to_version": 2,
        "relabelled": {},
        "flagged": 0,
        "stale_links": 0,
        "dropped_rules": [],
    }
    assert _sample(engine) == before
    created = create_annotation(engine, zoo.id, "s1", box("r2", "s1", "robot"), TESTER)
    assert created.ontology_version == 2
    with engine.connect() as connection:
        assert find_project(connection, zoo.id).ontology_version == 2
        assert load_ontology(connection, zoo.id).is_a("robot", "thing")


def test_add_attribute_lets_annotations_use_it_and_refuses_a_required_one(
    engine: Engine, zoo: Project
) -> None:
    with pytest.raises(RuleViolation, match="attribute-known"):
        update_annotation(engine, zoo.id, "astronaut", 1, TESTER, attributes={"helmet": True})
    counted = (_count(engine, events), _count(engine, ontology_versions))
    required = {"name": "badge", "type": "text", "required": True}
    with pytest.raises(OntologyError, match="cannot be required"):
        migrate_ontology(
            engine,
            zoo.id,
            _migration({"op": "add_attribute", "class": "person", "attribute": required}),
            TESTER,
        )
    assert (_count(engine, events), _count(engine, ontology_versions)) == counted

    helmet = {"name": "helmet", "type": "bool"}
    migrate_ontology(
        engine,
        zoo.id,
        _migration({"op": "add_attribute", "class": "person", "attribute": helmet}),
        TESTER,
    )

    updated = update_annotation(
        engine, zoo.id, "astronaut", 1, TESTER, attributes={"role": "astronaut", "helmet": True}
    )
    assert (updated.revision, updated.ontology_version) == (2, 2)
    assert _annotation(engine, "kitty").revision == 1


def test_add_relation_lets_links_use_it(engine: Engine, zoo: Project) -> None:
    holds = Link(id="holds-cup", type="holds", source="astronaut", target="cup1")
    with pytest.raises(RuleViolation, match="relation-known"):
        create_link(engine, zoo.id, "s1", holds, TESTER)
    relation = {
        "name": "holds",
        "source": {"classes": ["person"]},
        "target": {"classes": ["object"]},
    }

    migrate_ontology(
        engine, zoo.id, _migration({"op": "add_relation", "relation": relation}), TESTER
    )

    assert create_link(engine, zoo.id, "s1", holds, TESTER).type == "holds"
    backwards = Link(id="held", type="holds", source="cup1", target="astronaut")
    with pytest.raises(RuleViolation, match="link-direction"):
        create_link(engine, zoo.id, "s1", backwards, TESTER)


def test_rename_relabels_annotations_and_entities_and_keeps_the_old_version(
    engine: Engine, zoo: Project, demo_ontology: Ontology
) -> None:
    with engine.connect() as connection:
        first = load_ontology(connection, zoo.id, 1)
    before_kitty = _annotation(engine, "kitty")

    report = migrate_ontology(
        engine,
        zoo.id,
        _migration({"op": "rename_class", "from": "cat", "to": "feline"}, description="cats"),
        TESTER,
        expected_version=1,
    )

    assert asdict(report) == {
        "from_version": 1,
        "to_version": 2,
        "relabelled": {"cat": 2},
        "flagged": 0,
        "stale_links": 0,
        "dropped_rules": [],
    }
    kitty = _annotation(engine, "kitty")
    assert (kitty.label, kitty.revision, kitty.ontology_version, kitty.flags) == (
        "feline",
        2,
        2,
        [],
    )
    assert kitty.attributes == {"species": "tabby"}
    assert _annotation(engine, "astronaut").revision == 1
    assert _annotation(engine, "astronaut").ontology_version == 1
    assert (_entity(engine, "pets").label, _entity(engine, "pets").revision) == ("feline", 2)
    assert _link(engine, "ref-kitty").status == "confirmed"
    with engine.connect() as connection:
        assert load_ontology(connection, zoo.id, 1) == first == demo_ontology
        second = load_ontology(connection, zoo.id)
        [event] = [e for e in history(connection, "kitty") if e.action == "migrate"]
        entity_event = history(connection, "pets")[-1]
        ontology_event = history(connection, zoo.id)[-1]
    assert "cat" in first.class_map
    assert "feline" in second.class_map
    assert "cat" not in second.class_map
    assert second.is_a("feline", "animal")
    assert second.version == 2
    assert (event.actor, event.tool, event.revision) == ("tester", "ontology-migration", 2)
    assert (event.sample_id, entity_event.sample_id, ontology_event.sample_id) == ("s1", "s1", None)
    assert event.before == before_kitty.model_dump(mode="json", exclude_none=True)
    assert event.after["label"] == "feline"
    assert (entity_event.action, entity_event.before["label"], entity_event.after["label"]) == (
        "migrate",
        "cat",
        "feline",
    )
    assert entity_event.after["members"] == ["kitty", "kitty2"]
    assert (ontology_event.object_kind, ontology_event.action) == ("ontology", "migrate")
    assert (ontology_event.before["version"], ontology_event.after["version"]) == (1, 2)
    assert ontology_event.note == "cats"
    with pytest.raises(RuleViolation, match="label-known"):
        create_annotation(engine, zoo.id, "s1", box("c3", "s1", "cat"), TESTER)


def test_merge_relabels_and_stales_links_of_changed_meaning(engine: Engine, zoo: Project) -> None:
    report = migrate_ontology(
        engine,
        zoo.id,
        _migration({"op": "merge_classes", "sources": ["car", "spacecraft"], "into": "vehicle"}),
        TESTER,
    )

    assert report.relabelled == {"car": 1, "spacecraft": 1}
    assert report.stale_links == 1
    assert [_annotation(engine, i).label for i in ("car1", "rocket")] == ["vehicle", "vehicle"]
    link = _link(engine, "same-vehicle")
    assert (link.status, link.revision) == ("stale", 2)
    assert _link(engine, "ref-kitty").status == "confirmed"
    with engine.connect() as connection:
        queue = review_queue(connection, zoo.id)
        note = history(connection, "same-vehicle")[-1].note
        ontology = load_ontology(connection, zoo.id)
    assert [stale.id for stale in queue.stale_links] == ["same-vehicle"]
    assert note == "source annotation 'car1': its class 'car' changed meaning in ontology version 2"
    assert "car" not in ontology.class_map
    assert "spacecraft" not in ontology.class_map


def test_split_moves_to_the_default_flags_for_review_and_stales_links(
    engine: Engine, zoo: Project
) -> None:
    adult = {"name": "adult", "attributes": [{"name": "role", "type": "text"}]}
    report = migrate_ontology(
        engine,
        zoo.id,
        _migration(
            {
                "op": "split_class",
                "source": "person",
                "into": [adult, {"name": "child"}],
                "default": "adult",
            }
        ),
        TESTER,
    )

    assert report.relabelled == {"person": 2}
    assert report.flagged == 2
    assert report.stale_links == 3
    for ident in ("mention", "astronaut"):
        moved = _annotation(engine, ident)
        assert (moved.label, moved.flags, moved.revision) == ("adult", ["split-from:person"], 2)
    assert _entity(engine, "crew").label == "adult"
    assert _link(engine, "ref-astronaut").status == "stale"
    assert _link(engine, "speaks").status == "stale"
    assert _link(engine, "ref-kitty").status == "stale"  # its source "mention" was a person
    assert _link(engine, "same-vehicle").status == "confirmed"
    with engine.connect() as connection:
        queue = review_queue(connection, zoo.id)
        ontology = load_ontology(connection, zoo.id)
        speaks_note = history(connection, "speaks")[-1].note
    assert [a.id for a in queue.flagged] == ["mention", "astronaut"]
    assert {link.id for link in queue.stale_links} == {"ref-astronaut", "ref-kitty", "speaks"}
    assert ontology.is_a("child", "thing")
    assert ontology.relation_map["speaker-of"].source.classes == ["adult"]
    assert (
        speaks_note == "source entity 'crew', whose member annotation 'astronaut': its class "
        "'person' changed meaning in ontology version 2"
    )


def test_a_relabel_that_breaks_the_new_class_is_flagged_not_dropped(
    engine: Engine, zoo: Project
) -> None:
    report = migrate_ontology(
        engine,
        zoo.id,
        _migration({"op": "merge_classes", "sources": ["animal", "person"], "into": "creature"}),
        TESTER,
    )

    astronaut = _annotation(engine, "astronaut")
    assert astronaut.label == "creature"
    assert astronaut.attributes == {"role": "astronaut"}
    assert astronaut.flags == ["attribute-known:attributes.role"]
    assert _annotation(engine, "mention").flags == []
    assert _annotation(engine, "kitty").label == "cat"
    assert report.flagged == 1
    with engine.connect() as connection:
        assert load_ontology(connection, zoo.id).is_a("cat", "creature")


def test_deprecate_flags_existing_annotations_and_refuses_new_ones(
    engine: Engine, zoo: Project
) -> None:
    report = migrate_ontology(
        engine, zoo.id, _migration({"op": "deprecate_class", "name": "cup"}), TESTER
    )

    assert (report.relabelled, report.flagged, report.stale_links) == ({}, 1, 0)
    cup = _annotation(engine, "cup1")
    assert (cup.label, cup.flags, cup.revision, cup.ontology_version) == (
        "cup",
        ["deprecated-class:cup"],
        2,
        2,
    )
    with pytest.raises(RuleViolation) as caught:
        create_annotation(engine, zoo.id, "s1", box("cup2", "s1", "cup"), TESTER)
    assert (caught.value.rule, caught.value.field) == ("label-deprecated", "label")
    with pytest.raises(RuleViolation, match="label-deprecated"):
        update_annotation(engine, zoo.id, "astronaut", 1, TESTER, label="cup", attributes={})
    moved = update_annotation(engine, zoo.id, "cup1", 2, TESTER, geometry=Box(x=0, y=0, w=5, h=5))
    assert (moved.label, moved.revision) == ("cup", 3)
    with engine.connect() as connection:
        assert [a.id for a in review_queue(connection, zoo.id).flagged] == ["cup1"]

    again = migrate_ontology(
        engine, zoo.id, _migration({"op": "deprecate_class", "name": "cup"}), TESTER
    )
    assert again.flagged == 0
    assert _annotation(engine, "cup1").revision == 3


def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(
    engine: Engine, zoo: Project
) -> None:
    rename = _migration({"op": "rename_class", "from": "cup", "to": "mug"})
    migrate_ontology(engine, zoo.id, rename, TESTER, expected_version=1)
    counted = (_count(engine, events), _count(engine, ontology_versions))
    before = _sample(engine)

    with pytest.raises(ConflictError) as caught:
        migrate_ontology(
            engine,
            zoo.id,
            _migration({"op": "rename_class", "from": "mug", "to": "beaker"}),
            TESTER,
            expected_version=1,
        )

    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert (_count(engine, events), _count(engine, ontology_versions)) == counted
    assert _sample(engine) == before
    with engine.connect() as connection:
        assert find_project(connection, zoo.id).ontology_version == 2


def test_a_migration_naming_its_from_version_is_refused_when_run_again(
    engine: Engine, zoo: Project
) -> None:
    """A clarification stays valid on the next version: without ``from_version`` a second
    run would append it again and make version 3."""
    migration = parse_migration(
        {
            "from_version": 1,
            "operations": [
                {
                    "op": "add_clarification",
                    "relation": "refers-to",
                    "clarification": {"date": "2025-04-01", "question": "A logo?", "answer": "No."},
                }
            ],
        }
    )
    migrate_ontology(engine, zoo.id, migration, TESTER)
    counted = (_count(engine, events), _count(engine, ontology_versions))

    with pytest.raises(ConflictError) as caught:
        migrate_ontology(engine, zoo.id, migration, TESTER)

    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert (_count(engine, events), _count(engine, ontology_versions)) == counted
    with engine.connect() as connection:
        assert find_project(connection, zoo.id).ontology_version == 2


def test_an_invalid_migration_writes_nothing(engine: Engine, zoo: Project) -> None:
    counted = (_count(engine, events), _count(engine, ontology_versions))
    with pytest.raises(OntologyError, match="class 'dragon' does not exist"):
        migrate_ontology(
            engine,
            zoo.id,
            _migration(
                {"op": "rename_class", "from": "cat", "to": "feline"},
                {"op": "deprecate_class", "name": "dragon"},
            ),
            TESTER,
        )
    assert (_count(engine, events), _count(engine, ontology_versions)) == counted
    assert _annotation(engine, "kitty").label == "cat"


def test_the_version_row_keeps_the_migration_and_its_report(engine: Engine, zoo: Project) -> None:
    migration = _migration({"op": "rename_class", "from": "cat", "to": "feline"})
    report = migrate_ontology(engine, zoo.id, migration, TESTER)

    with engine.connect() as connection:
        row = connection.execute(
            select(ontology_versions).where(
                ontology_versions.c.project_id == zoo.id, ontology_versions.c.version == 2
            )
        ).one()
    assert orjson.loads(row.report) == asdict(report)
    assert orjson.loads(row.migration)["operations"] == [
        {"op": "rename_class", "from": "cat", "to": "feline"}
    ]
    assert parse_migration(orjson.loads(row.migration)) == migration
    assert row.actor == "tester"


def test_large_projects_are_relabelled_in_chunks(engine: Engine, zoo: Project) -> None:
    insert_sample(
        engine,
        zoo.id,
        Sample(
            id="s2",
            streams=streams_of("s2"),
            annotations=[box(f"cat{i}", "s2", "cat", x=i) for i in range(7)],
        ),
    )

    report = migrate_ontology(
        engine,
        zoo.id,
        _migration({"op": "rename_class", "from": "cat", "to": "feline"}),
        TESTER,
        chunk_size=2,
    )

    assert report.relabelled == {"cat": 9}
    with engine.connect() as connection:
        labels = {a.label for a in load_sample(connection, "s2").annotations}
        revisions = {a.revision for a in load_sample(connection, "s2").annotations}
        migrated = [e for e in history(connection, "cat3") if e.action == "migrate"]
    assert (labels, revisions, len(migrated)) == ({"feline"}, {2}, 1)


def test_swapped_names_move_each_annotation_and_entity_once(engine: Engine, zoo: Project) -> None:
    insert_sample(
        engine,
        zoo.id,
        Sample(
            id="s2",
            streams=streams_of("s2"),
            annotations=[box("car2", "s2", "car"), box("rocket2", "s2", "spacecraft", x=200)],
            entities=[
                Entity(id="e-car", label="car", members=["car2"]),
                Entity(id="e-rocket", label="spacecraft", members=["rocket2"]),
            ],
        ),
    )

    report = migrate_ontology(
        engine,
        zoo.id,
        _migration(
            {"op": "rename_class", "from": "car", "to": "tmp"},
            {"op": "rename_class", "from": "spacecraft", "to": "car"},
            {"op": "rename_class", "from": "tmp", "to": "spacecraft"},
        ),
        TESTER,
        chunk_size=1,
    )

    assert report.relabelled == {"car": 2, "spacecraft": 2}
    with engine.connect() as connection:
        s2 = load_sample(connection, "s2")
    assert [(a.id, a.label, a.revision) for a in s2.annotations] == [
        ("car2", "spacecraft", 2),
        ("rocket2", "car", 2),
    ]
    assert [(e.id, e.label, e.revision) for e in s2.entities] == [
        ("e-car", "spacecraft", 2),
        ("e-rocket", "car", 2),
    ]
    assert [_annotation(engine, i).label for i in ("car1", "rocket")] == ["spacecraft", "car"]


def _guidelines(ontology: Ontology) -> dict[str, Guideline | None]:
    classes = {c.name: c.guideline for c in ontology.classes}
    return {**classes, **{r.name: r.guideline for r in ontology.relations}}


def test_a_guideline_only_change_makes_a_version_and_touches_no_annotation(
    engine: Engine, zoo: Project
) -> None:
    before = _sample(engine)
    counted = _count(engine, events)
    migration = _migration(
        {"op": "set_guideline", "class": "cat", "guideline": {"text": "Any cat, big or small."}},
        {
            "op": "add_clarification",
            "relation": "refers-to",
            "clarification": {"date": "2025-04-01", "question": "A logo?", "answer": "No."},
        },
    )

    report = migrate_ontology(engine, zoo.id, migration, TESTER)

    assert asdict(report) == {
        "from_version": 1,
        "to_version": 2,
        "relabelled": {},
        "flagged": 0,
        "stale_links": 0,
        "dropped_rules": [],
    }
    assert _sample(engine) == before
    assert {link.status for link in before.links} == {"confirmed"}
    assert _count(engine, events) == counted + 1
    with engine.connect() as connection:
        first, second = load_ontology(connection, zoo.id, 1), load_ontology(connection, zoo.id)
        stored = connection.execute(
            select(ontology_versions.c.migration).where(ontology_versions.c.version == 2)
        ).scalar_one()
    assert second.class_map["cat"].guideline == Guideline(text="Any cat, big or small.")
    old_cat = first.class_map["cat"].guideline
    assert old_cat is not None and old_cat.positive
    refers = second.relation_map["refers-to"].guideline
    old_refers = first.relation_map["refers-to"].guideline
    assert refers is not None and old_refers is not None
    assert refers.clarifications == [
        *old_refers.clarifications,
        Clarification(date=date(2025, 4, 1), question="A logo?", answer="No."),
    ]
    assert refers.model_copy(update={"clarifications": old_refers.clarifications}) == old_refers
    unchanged = {name for name in _guidelines(first) if name not in {"cat", "refers-to"}}
    assert {n: _guidelines(second)[n] for n in unchanged} == {
        n: _guidelines(first)[n] for n in unchanged
    }
    assert parse_migration(orjson.loads(stored)) == migration


def test_guidelines_survive_a_migration_that_renames_their_class(
    engine: Engine, zoo: Project, demo_ontology: Ontology
) -> None:
    migrate_ontology(
        engine, zoo.id, _migration({"op": "rename_class", "from": "person", "to": "human"}), TESTER
    )

    with engine.connect() as connection:
        upgraded = load_ontology(connection, zoo.id)
    expected = _guidelines(demo_ontology)
    expected["human"] = expected.pop("person")
    assert expected["human"] is not None
    assert _guidelines(upgraded) == expected
    speaker_of = upgraded.relation_map["speaker-of"]
    assert speaker_of.source.classes == ["human"]
    assert speaker_of.guideline == demo_ontology.relation_map["speaker-of"].guideline


# --- planning (pure) -------------------------------------------------------------------------


def _ontology(*names: str) -> Ontology:
    return parse_ontology({"classes": [{"name": n} for n in names]})


def test_chained_renames_compose() -> None:
    _, plan = plan_migration(
        _ontology("a", "b"),
        _migration(
            {"op": "rename_class", "from": "a", "to": "x"},
            {"op": "rename_class", "from": "x", "to": "y"},
            {"op": "rename_class", "from": "b", "to": "a"},
        ),
    )
    assert plan.relabel == {"a": "y", "b": "a"}
    assert plan.affected() == {"a", "b"}


def test_a_renamed_name_may_be_used_again_for_a_new_class() -> None:
    ontology, plan = plan_migration(
        _ontology("a"),
        _migration(
            {"op": "rename_class", "from": "a", "to": "b"},
            {"op": "add_class", "class": {"name": "a"}},
            {"op": "rename_class", "from": "a", "to": "c"},
        ),
    )
    assert plan.relabel == {"a": "b"}
    assert set(ontology.class_map) == {"b", "c"}


def test_flags_follow_the_annotations_they_were_raised_for() -> None:
    _, plan = plan_migration(
        _ontology("a", "b"),
        _migration(
            {"op": "deprecate_class", "name": "a"},
            {"op": "merge_classes", "sources": ["a"], "into": "b"},
        ),
    )
    assert plan.relabel == {"a": "b"}
    assert plan.flags == {"a": ["deprecated-class:a"]}
    assert plan.stale_links == {"a", "b"}
    assert plan.final("a") == "b"
    assert plan.final("b") == "b"


def test_split_keeps_the_parent_and_children_follow_the_default() -> None:
    ontology = parse_ontology(
        {
            "classes": [
                {"name": "thing"},
                {"name": "person", "parent": "thing"},
                {"name": "pilot", "parent": "person"},
            ]
        }
    )
    upgraded, plan = plan_migration(
        ontology,
        Migration(
            operations=[
                {  # type: ignore[list-item]
                    "op": "split_class",
                    "source": "person",
                    "into": [ClassDef(name="adult"), ClassDef(name="child")],
                    "default": "adult",
                }
            ]
        ),
    )
    assert upgraded.ancestors("pilot") == ("pilot", "adult", "thing")
    assert upgraded.ancestors("child") == ("child", "thing")
    assert plan.relabel == {"person": "adult"}
    assert plan.flags == {"person": ["split-from:person"]}
    assert plan.stale_links == {"person"}
    assert ontology.version == 1
    assert upgraded.version == 2


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ({"op": "add_class", "class": {"name": "a"}}, "add_class: class 'a' already exists"),
        ({"op": "add_class", "class": {"name": "z", "parent": "q"}}, "parent 'q' is not a class"),
        ({"op": "rename_class", "from": "q", "to": "r"}, "rename_class: class 'q' does not exist"),
        ({"op": "rename_class", "from": "a", "to": "b"}, "rename_class: class 'b' already exists"),
        ({"op": "merge_classes", "sources": ["a", "q"], "into": "b"}, "class 'q' does not exist"),
        (
            {
                "op": "split_class",
                "source": "a",
                "into": [{"name": "x"}, {"name": "y"}],
                "default": "z",
            },
            "default 'z' is not one of",
        ),
        (
            {
                "op": "split_class",
                "source": "a",
                "into": [{"name": "b"}, {"name": "y"}],
                "default": "y",
            },
            "split_class: class 'b' already exists",
        ),
        ({"op": "deprecate_class", "name": "q"}, "deprecate_class: class 'q' does not exist"),
        (
            {"op": "add_attribute", "class": "a", "attribute": {"name": "n", "type": "bool"}},
            None,
        ),
        (
            {"op": "add_relation", "relation": {"name": "r", "source": {"classes": ["q"]}}},
            "unknown",
        ),
        (
            {"op": "set_guideline", "relation": "q", "guideline": None},
            "set_guideline: relation 'q' does not exist",
        ),
        (
            {"op": "set_guideline", "class": "q", "guideline": {"text": "t"}},
            "set_guideline: class 'q' does not exist",
        ),
        (
            {"op": "set_guideline", "class": "a", "relation": "r", "guideline": None},
            "operations.0.set_guideline: .*name either a 'class' or a 'relation'",
        ),
        (
            {
                "op": "add_clarification",
                "class": "a",
                "clarification": {"date": "2025-04-01", "question": "q", "answer": "a"},
            },
            "add_clarification: 'a' has no guideline to clarify",
        ),
    ],
)
def test_impossible_operations_are_refused(operation: dict[str, Any], message: str | None) -> None:
    ontology = _ontology("a", "b")
    if message is None:
        twice = _migration(operation, operation)
        with pytest.raises(OntologyError, match="add_attribute: 'a' already has 'n'"):
            plan_migration(ontology, twice)
        return
    with pytest.raises(OntologyError, match=message):
        plan_migration(ontology, _migration(operation))


def test_set_guideline_replaces_or_removes_and_clarifications_append() -> None:
    ontology = parse_ontology(
        {
            "classes": [{"name": "a", "guideline": {"text": "old", "negative": [{"note": "b"}]}}],
            "relations": [{"name": "r", "guideline": {"text": "link"}}],
        }
    )
    first = {"date": "2025-04-01", "question": "q1", "answer": "yes"}
    second = {"date": "2025-04-02", "question": "q2", "answer": "no"}
    migration = _migration(
        {"op": "set_guideline", "relation": "r", "guideline": None},
        {"op": "add_clarification", "class": "a", "clarification": first},
        {"op": "add_clarification", "class": "a", "clarification": second},
    )
    upgraded, plan = plan_migration(ontology, migration)
    assert upgraded.relation_map["r"].guideline is None
    guideline = upgraded.class_map["a"].guideline
    assert guideline is not None
    assert (guideline.text, [e.note for e in guideline.negative]) == ("old", ["b"])
    assert [c.question for c in guideline.clarifications] == ["q1", "q2"]
    assert plan.affected() == set()
    stored = migration.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert stored["operations"][0] == {"op": "set_guideline", "relation": "r"}
    assert parse_migration(stored) == migration


def test_a_migration_file_that_is_not_well_formed_names_the_field() -> None:
    with pytest.raises(
        OntologyError, match=r"m\.yaml: operations\.0\.rename_class\.to: Field required"
    ):
        parse_migration({"operations": [{"op": "rename_class", "from": "a"}]}, source="m.yaml")
    with pytest.raises(OntologyError, match="operations: List should have at least 1 item"):
        parse_migration({"operations": []})


def _ruled() -> Ontology:
    tone = {"name": "tone", "type": "enum", "values": ["calm", "frustrated"]}
    face = {"name": "expression", "type": "enum", "values": ["smile", "frown"]}
    return parse_ontology(
        {
            "classes": [
                {"name": "speech", "attributes": [tone]},
                {"name": "face", "attributes": [face]},
            ],
            "relations": [{"name": "synchronized-with", "directed": False}],
            "attribute_rules": [
                {
                    "name": "frustrated-not-smiling",
                    "when": {"class": "speech", "attribute": "tone", "values": ["frustrated"]},
                    "excludes": [{"class": "face", "attribute": "expression", "values": ["smile"]}],
                }
            ],
        }
    )


def test_attribute_rules_survive_migrations_and_follow_their_classes() -> None:
    unrelated, _ = plan_migration(_ruled(), _migration({"op": "add_class", "class": {"name": "x"}}))
    assert unrelated.attribute_rules == _ruled().attribute_rules
    renamed, plan = plan_migration(
        _ruled(), _migration({"op": "rename_class", "from": "face", "to": "visage"})
    )
    (rule,) = renamed.attribute_rules
    assert [c.class_ for c in (rule.when, *rule.excludes)] == ["speech", "visage"]
    assert plan.relabel == {"face": "visage"}


def test_attribute_rules_are_set_replaced_and_removed_by_migrations() -> None:
    stricter = {
        "name": "frustrated-not-smiling",
        "relations": ["synchronized-with"],
        "when": {"class": "speech", "attribute": "tone", "values": ["frustrated"]},
        "excludes": [{"class": "face", "attribute": "expression", "values": ["smile", "frown"]}],
    }
    replaced, plan = plan_migration(
        _ruled(), _migration({"op": "set_attribute_rule", "rule": stricter})
    )
    assert [r.model_dump() for r in replaced.attribute_rules] == [{"description": None, **stricter}]
    assert plan.affected() == set()  # no annotation changes
    removed, _ = plan_migration(
        _ruled(), _migration({"op": "remove_attribute_rule", "name": "frustrated-not-smiling"})
    )
    assert removed.attribute_rules == []
    with pytest.raises(OntologyError, match="remove_attribute_rule: there is no rule 'nope'"):
        plan_migration(_ruled(), _migration({"op": "remove_attribute_rule", "name": "nope"}))
    bad = {**stricter, "when": {"class": "speech", "attribute": "pitch", "values": [1]}}
    with pytest.raises(OntologyError, match="rule 'frustrated-not-smiling' names a class that"):
        plan_migration(_ruled(), _migration({"op": "set_attribute_rule", "rule": bad}))


def test_a_rule_whose_class_cannot_keep_it_is_dropped_and_reported() -> None:
    """A split moves the rule to the default class; without the attribute the rule reads,
    the rule cannot follow: the new version leaves it out and the plan names it."""
    split, plan = plan_migration(
        _ruled(),
        _migration(
            {
                "op": "split_class",
                "source": "face",
                "into": [{"name": "adult-face"}, {"name": "child-face"}],
                "default": "adult-face",
            }
        ),
    )
    assert split.attribute_rules == []
    assert plan.dropped_rules == ["frustrated-not-smiling"]
