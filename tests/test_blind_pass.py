"""The blind-pass slice over HTTP: the annotator of a slot whose sample is in the slice sees
no model candidates (annotations a model proposed that no person changed, links a model
proposed, and links to those) in the sample, the single records, the listing's counts and
filters, and their whole-sample submission leaves the candidates alone; reviewers see
them, annotators outside the slice see them, and the create and lease events say which."""

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api_clients import client_as
from builders import box, insert_sample, span, streams_of
from rosetta.api.auth import _SAMPLE_ACCESS
from rosetta.core.policies import Role
from rosetta.core.schema import Link, Project, Sample, Source
from rosetta.core.workflow import Workflow, candidates_hidden
from rosetta.store.engine import make_engine, upgrade
from rosetta.store.tables import events, tasks

ROLES = {"ann": Role.ANNOTATOR, "bob": Role.ANNOTATOR, "rev": Role.REVIEWER, "mona": Role.MANAGER}
MODEL = Source(kind="model", name="detector", version="1", confidence=0.83)


def _sample(sample_id: str) -> Sample:
    """A sample with a model's candidate box, a model box a person edited (revision 2), a
    person's span and box, a link a model proposed between the person's two, and a
    person's link to the candidate."""
    return Sample(
        id=sample_id,
        streams=streams_of(sample_id),
        annotations=[
            box(f"{sample_id}-cand", sample_id, "car").model_copy(update={"source": MODEL}),
            box(f"{sample_id}-edited", sample_id, "cup", x=200).model_copy(
                update={"source": MODEL, "revision": 2}
            ),
            span(f"{sample_id}-span", sample_id, 3, 12).model_copy(update={"author": "prior"}),
            box(f"{sample_id}-box", sample_id, "person", x=300).model_copy(
                update={"author": "prior"}
            ),
        ],
        links=[
            Link(
                id=f"{sample_id}-model-link",
                type="refers-to",
                source=f"{sample_id}-span",
                target=f"{sample_id}-box",
                attributes={"model": "projection", "iou": 0.8},
            ),
            Link(
                id=f"{sample_id}-to-cand",
                type="refers-to",
                source=f"{sample_id}-span",
                target=f"{sample_id}-cand",
                author="prior",
            ),
        ],
    )


@pytest.fixture
def clients(engine: Engine, project: Project) -> Iterator[dict[str, TestClient]]:
    """The members' clients; samples s1 (queued on the blind pass) and s2 (not)."""
    made = {
        name: client_as(engine, name, admin=False, project_id=project.id, role=role)
        for name, role in ROLES.items()
    }
    for sample_id in ("s1", "s2"):
        insert_sample(engine, project.id, _sample(sample_id))
    path = f"/api/projects/{project.id}"
    for share, sample_id in ((1.0, "s1"), (0.0, "s2")):
        workflow = {"stages": [{"kind": "annotate", "blind_share": share}, {"kind": "review"}]}
        assert made["mona"].put(f"{path}/workflow", json=workflow).is_success
        assert made["mona"].post(f"{path}/tasks", json={"samples": [sample_id]}).json() == {
            "created": 1
        }
    yield made
    for client in made.values():
        client.close()


def _ids(items: list[dict[str, object]]) -> set[object]:
    return {item["id"] for item in items}


def test_the_blind_share_picks_a_stable_slice_of_about_its_size() -> None:
    workflow = Workflow.model_validate(
        {"stages": [{"kind": "annotate", "blind_share": 0.3, "overlap": 2, "overlap_share": 0.3}]}
    )
    picked = [candidates_hidden(workflow, "p", f"s{i}") for i in range(4000)]
    assert 0.27 < sum(picked) / len(picked) < 0.33
    assert picked == [candidates_hidden(workflow, "p", f"s{i}") for i in range(4000)]
    none = Workflow.model_validate({"stages": [{"kind": "annotate"}]})
    assert not any(candidates_hidden(none, "p", f"s{i}") for i in range(100))


def test_a_blind_slot_holder_sees_no_model_candidates(
    clients: dict[str, TestClient], project: Project, engine: Engine
) -> None:
    path = f"/api/projects/{project.id}"
    ann, bob, rev = clients["ann"], clients["bob"], clients["rev"]
    first = ann.post(f"{path}/tasks/next").json()
    second = bob.post(f"{path}/tasks/next").json()
    assert (first["sample"], second["sample"]) == ("s1", "s2")

    seen = ann.get("/api/samples/s1").json()
    assert _ids(seen["annotations"]) == {"s1-edited", "s1-span", "s1-box"}
    assert seen["links"] == []
    assert ann.get("/api/annotations/s1-cand").status_code == 404
    assert ann.get("/api/links/s1-model-link").status_code == 404
    # outside the slice, and to reviewers, candidates show
    assert len(bob.get("/api/samples/s2").json()["annotations"]) == 4
    assert len(bob.get("/api/samples/s2").json()["links"]) == 2
    everything = rev.get("/api/samples/s1").json()
    assert len(everything["annotations"]) == 4 and len(everything["links"]) == 2

    listed = {item["id"]: item for item in ann.get(f"{path}/samples").json()["items"]}
    assert (listed["s1"]["annotations"], listed["s1"]["links"]) == (3, 0)
    assert ann.get(f"{path}/samples", params={"label": "car"}).json()["items"] == []
    assert [
        item["id"] for item in bob.get(f"{path}/samples", params={"label": "car"}).json()["items"]
    ] == ["s2"]
    reviewed = {item["id"]: item for item in rev.get(f"{path}/samples").json()["items"]}
    assert (reviewed["s1"]["annotations"], reviewed["s1"]["links"]) == (4, 2)

    with engine.connect() as connection:
        flags = {
            row.sample_id: row.candidates_hidden
            for row in connection.execute(select(tasks.c.sample_id, tasks.c.candidates_hidden))
        }
        said = {
            (row.object_id, row.action): orjson.loads(row.after)["candidates"]
            for row in connection.execute(
                select(events.c.object_id, events.c.action, events.c.after).where(
                    events.c.object_kind == "task", events.c.action.in_(["create", "lease"])
                )
            )
        }
    assert flags == {"s1": True, "s2": False}
    assert said == {
        (first["id"], "create"): "hidden",
        (first["id"], "lease"): "hidden",
        (second["id"], "create"): "shown",
        (second["id"], "lease"): "shown",
    }


def test_a_blind_submission_leaves_the_hidden_candidates_alone(
    clients: dict[str, TestClient], project: Project
) -> None:
    path = f"/api/projects/{project.id}"
    ann, rev = clients["ann"], clients["rev"]
    task = ann.post(f"{path}/tasks/next").json()
    read = ann.get("/api/samples/s1")
    seen = read.json()
    kept = [a for a in seen["annotations"] if a["id"] != "s1-edited"]
    drawn = {
        "id": "ann-box",
        "stream": "s1-image",
        "label": "car",
        "geometry": box("x", "s1", "car", x=12).geometry.model_dump(),
    }
    done = ann.put(
        "/api/samples/s1/annotations",
        json={"annotations": [*kept, drawn], "entities": [], "links": []},
        headers={"If-Match": read.headers["ETag"]},
    )
    assert done.status_code == 200, done.text
    assert (done.json()["created"], done.json()["deleted"]) == (1, 1)
    assert _ids(done.json()["sample"]["annotations"]) == {"s1-span", "s1-box", "ann-box"}
    assert ann.post(f"/api/tasks/{task['id']}/submit").json()["status"] == "submitted"

    after = rev.get("/api/samples/s1").json()
    assert _ids(after["annotations"]) == {"s1-cand", "s1-span", "s1-box", "ann-box"}
    assert _ids(after["links"]) == {"s1-model-link", "s1-to-cand"}


def test_reading_a_sample_probes_the_blind_pass_by_the_samples_slots(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    upgrade(engine)
    query = str(_SAMPLE_ACCESS.statement.compile(engine))
    with engine.connect() as connection:
        plan = [
            row[3]
            for row in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {query}", ("annotate", "u", "u", "u", "s")
            )
        ]
    engine.dispose()
    assert "SEARCH tasks USING INDEX sqlite_autoindex_tasks_2 (sample_id=? AND stage=?)" in plan
