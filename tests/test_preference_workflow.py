"""Preference samples through the workflow with the real app (SQLite and PostgreSQL): two
evaluators on every sample (overlap 2) lease their tasks, judge with a rationale whose
phrase cites a caption, never see each other's judgement, rationale or phrases, hand in,
and the sample goes to review, where the reviewer sees both judgements and the models;
the workflow's ``reveal_models`` shows annotators the models."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api_clients import client_as
from conftest import TESTER
from preference_samples import MODELS, preference_sample
from rosetta.core.policies import Access, Assignment, Principal, Role
from rosetta.core.preference import presentation_order
from rosetta.core.schema import Project
from rosetta.services.importer import import_samples
from rosetta.services.visibility import visible_sample
from rosetta.store.tables import judgements

ROLES = {"ann": Role.ANNOTATOR, "bob": Role.ANNOTATOR, "rev": Role.REVIEWER, "mona": Role.MANAGER}
EVALUATORS = ("ann", "bob")
WORKFLOW: dict[str, Any] = {
    "stages": [{"kind": "annotate", "overlap": 2, "overlap_share": 1.0}, {"kind": "review"}]
}


def _order(project_id: str, sample_id: str, evaluator: str) -> list[str]:
    return presentation_order(
        project_id, sample_id, evaluator, [f"{sample_id}.{name}" for name in MODELS]
    )


def sample_ids(project_id: str) -> list[str]:
    """Two sample ids, the first the first of ``q0``, ``q1``… whose candidates ann and bob
    are shown in different orders (the project's id is new in every test)."""
    first = next(
        sample_id
        for sample_id in (f"q{i}" for i in range(100))
        if _order(project_id, sample_id, "ann") != _order(project_id, sample_id, "bob")
    )
    return [first, f"{first}-b"]


@pytest.fixture
def clients(engine: Engine, project: Project) -> Iterator[dict[str, TestClient]]:
    """The members (`ROLES`), the workflow `WORKFLOW` and two preference samples queued
    (`sample_ids`), judged by nobody yet."""
    made = {
        name: client_as(engine, name, admin=False, project_id=project.id, role=role)
        for name, role in ROLES.items()
    }
    samples = [preference_sample(sample_id, ()) for sample_id in sample_ids(project.id)]
    import_samples(engine, project.id, samples, TESTER)
    path = f"/api/projects/{project.id}"
    assert made["mona"].put(f"{path}/workflow", json=WORKFLOW).is_success
    assert made["mona"].post(f"{path}/tasks", json={}).json() == {"created": 4}
    yield made
    for client in made.values():
        client.close()


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _judge(client: TestClient, name: str, sample_id: str) -> dict[str, Any]:
    """`name` ranks the candidates, explains why and links the rationale's phrase to a span
    of a caption they mark; their judgement."""
    caption = {"type": "span", "start": 3, "end": 12}
    why = f"{name}: the large one names the suit."
    judged: dict[str, Any] = _ok(
        client.put(
            f"/api/samples/{sample_id}/judgement",
            json={
                "ranking": [[f"{sample_id}.large"], [f"{sample_id}.vlm", f"{sample_id}.small"]],
                "rationale": why,
                "expected_revision": 0,
            },
        )
    )
    suit = why.index("the suit")
    work = {
        "annotations": [
            {
                "id": f"{sample_id}.{name}-suit",
                "stream": f"{sample_id}-large",
                "label": "person",
                "geometry": caption,
            },
            {
                "id": f"{sample_id}.{name}-phrase",
                "stream": judged["rationale"],
                "label": "rationale-phrase",
                "geometry": {"type": "span", "start": suit, "end": suit + 8},
            },
        ],
        "links": [
            {
                "id": f"{sample_id}.{name}-cites",
                "type": "cites",
                "source": f"{sample_id}.{name}-phrase",
                "target": f"{sample_id}.{name}-suit",
            }
        ],
    }
    for kind, items in work.items():
        for item in items:
            _ok(client.post(f"/api/samples/{sample_id}/{kind}", json=item), 201)
    return judged


def _sees_only_their_own(
    client: TestClient, name: str, sample_id: str, mine: dict[str, Any], theirs: dict[str, Any]
) -> None:
    """What `name` sees of the sample: their judgement and work, not the other's."""
    sample = _ok(client.get(f"/api/samples/{sample_id}"))
    assert [j["id"] for j in sample["judgements"]] == [mine["id"]]
    assert [j["id"] for j in _ok(client.get(f"/api/samples/{sample_id}/judgements"))] == [
        mine["id"]
    ]
    streams = {s["id"] for s in sample["streams"]}
    assert mine["rationale"] in streams and theirs["rationale"] not in streams
    listed = {s["id"] for s in _ok(client.get(f"/api/samples/{sample_id}/streams"))}
    assert listed == streams
    assert client.get(f"/api/streams/{theirs['rationale']}").status_code == 404
    assert {a["id"] for a in sample["annotations"]} == {
        f"{sample_id}.{name}-suit",
        f"{sample_id}.{name}-phrase",
    }
    assert [x["id"] for x in sample["links"]] == [f"{sample_id}.{name}-cites"]
    assert [c["id"] for c in sample["candidates"]] == mine["presented"]
    assert {(c.get("model"), c.get("model_version")) for c in sample["candidates"]} == {
        (None, None)
    }


def test_overlap_evaluators_judge_blind_and_the_reviewer_sees_both(
    clients: dict[str, TestClient], engine: Engine, project: Project
) -> None:
    path = f"/api/projects/{project.id}"
    first, second = sample_ids(project.id)
    judged: dict[str, dict[str, dict[str, Any]]] = {}
    leased: dict[str, dict[str, str]] = {}
    for _ in (first, second):
        tasks = {name: _ok(clients[name].post(f"{path}/tasks/next")) for name in EVALUATORS}
        sample_id = tasks["ann"]["sample"]
        assert tasks["bob"]["sample"] == sample_id
        assert {t["slot"] for t in tasks.values()} == {0, 1}
        judged[sample_id] = {name: _judge(clients[name], name, sample_id) for name in EVALUATORS}
        leased[sample_id] = {name: task["id"] for name, task in tasks.items()}
        mine = judged[sample_id]
        for name, other in zip(EVALUATORS, reversed(EVALUATORS), strict=True):
            assert mine[name]["presented"] == _order(project.id, sample_id, name)
            _sees_only_their_own(clients[name], name, sample_id, mine[name], mine[other])
        for name, task in tasks.items():
            handed = _ok(clients[name].post(f"/api/tasks/{task['id']}/submit"))
            assert handed["status"] == "submitted"
        assert _ok(clients["rev"].get(f"/api/samples/{sample_id}"))["status"] == "review"
    assert set(judged) == {first, second}
    # the order shown differs between the evaluators of the first sample
    assert judged[first]["ann"]["presented"] != judged[first]["bob"]["presented"]

    rev = clients["rev"]
    for _ in (first, second):
        review = _ok(rev.post(f"{path}/tasks/next"))
        sample_id = review["sample"]
        assert review["stage"] == "review"
        sample = _ok(rev.get(f"/api/samples/{sample_id}"))
        assert {j["author"]: j["id"] for j in sample["judgements"]} == {
            name: judged[sample_id][name]["id"] for name in EVALUATORS
        }
        models = {c["id"]: c.get("model") for c in sample["candidates"]}
        assert models == {f"{sample_id}.{name}": model for name, model in MODELS.items()}
        rationales = {judged[sample_id][name]["rationale"] for name in EVALUATORS}
        assert rationales <= {s["id"] for s in sample["streams"]}
        assert {x["id"] for x in sample["links"]} == {
            f"{sample_id}.{name}-cites" for name in EVALUATORS
        }
        _ok(rev.post(f"/api/tasks/{review['id']}/review", json={"decision": "accepted"}))
        assert _ok(rev.get(f"/api/samples/{sample_id}"))["status"] == "done"
    with engine.connect() as connection:
        recorded = {
            (row.sample_id, row.author): row.task_id
            for row in connection.execute(select(judgements))
        }
    assert recorded == {
        (sample_id, name): task_id
        for sample_id, tasks_of in leased.items()
        for name, task_id in tasks_of.items()
    }


def test_the_workflow_reveals_the_models_to_annotators(
    clients: dict[str, TestClient], project: Project
) -> None:
    path = f"/api/projects/{project.id}"
    mona, ann = clients["mona"], clients["ann"]
    task = _ok(ann.post(f"{path}/tasks/next"))
    sample_path = f"/api/samples/{task['sample']}"
    named = {f"{task['sample']}.{name}": model for name, model in MODELS.items()}

    def models() -> dict[str, str | None]:
        return {c["id"]: c.get("model") for c in _ok(ann.get(sample_path))["candidates"]}

    assert set(models().values()) == {None}
    revealing = {"stages": [{**WORKFLOW["stages"][0], "reveal_models": True}, {"kind": "review"}]}
    version = _ok(mona.put(f"{path}/workflow", json=revealing))
    assert version["workflow"]["stages"][0]["reveal_models"] is True
    assert models() == named
    seen = ann.get(sample_path)
    versions = {c["id"]: c.get("model_version") for c in seen.json()["candidates"]}
    assert versions[f"{task['sample']}.vlm"] == "1.0"
    # the whole-sample submission answers with the sample as the annotator sees it
    submitted = _ok(
        ann.put(
            f"{sample_path}/annotations",
            json={"annotations": [], "entities": [], "links": []},
            headers={"If-Match": seen.headers["ETag"]},
        )
    )
    assert {c["id"]: c.get("model") for c in submitted["sample"]["candidates"]} == named
    assert _ok(mona.put(f"{path}/workflow", json=WORKFLOW))["version"] == 3
    assert set(models().values()) == {None}


def test_visible_sample_shows_the_models_only_when_revealed() -> None:
    sample = preference_sample("p", ("ann",))
    ann = Access(Principal(user_id="u-ann", name="ann"), "proj", Role.ANNOTATOR)
    mine = Assignment(sample_id="p", user_id="u-ann", blind=True)
    for revealed in (False, True):
        seen = visible_sample(sample, ann, mine, gold=False, models_revealed=revealed)
        expected = set(MODELS.values()) if revealed else {None}
        assert {c.model for c in seen.candidates} == expected
        assert [c.id for c in seen.candidates] == _order("proj", "p", "ann")
