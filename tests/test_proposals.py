"""Models propose, people decide, over HTTP: a third-party proposer registered through the
``rosetta.proposers`` entry points runs on a stream, its proposals are stored as
candidates with the model's provenance, the host refuses what the proposer does not take
(writing nothing), the blind pass may not ask, and people's decisions (accept, edit,
reject) are recorded with what changed and summed per model and per person."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select

from api_clients import client_as
from builders import insert_sample, streams_of
from conftest import MEDIA, TESTER
from proposer_plugins import CentreBox, centre_box_installed
from rosetta.core.policies import Role
from rosetta.core.schema import Project, Sample
from rosetta.services import accounts
from rosetta.services.proposer_registry import proposer_classes
from rosetta.services.settings import Settings
from rosetta.store.tables import annotations, candidate_decisions, events, tasks

ROLES = {"ann": Role.ANNOTATOR, "blind": Role.ANNOTATOR, "rev": Role.REVIEWER}


@pytest.fixture
def clients(engine: Engine, project: Project, tmp_path: Path) -> Iterator[dict[str, TestClient]]:
    """ann (annotator of s1), blind (annotator of s1 in the blind pass) and rev (reviewer),
    with `CentreBox` installed and the shared media as the media root."""
    settings = Settings(media_roots=(MEDIA,), data_dir=tmp_path / "data")
    with centre_box_installed(tmp_path / "plugins"):
        made = {
            name: client_as(
                engine, name, admin=False, project_id=project.id, role=role, settings=settings
            )
            for name, role in ROLES.items()
        }
        insert_sample(engine, project.id, Sample(id="s1", streams=streams_of("s1")))
        with engine.connect() as connection:
            ids = {name: accounts.find_user(connection, name).id for name in ROLES}
        accounts.assign(engine, TESTER, "s1", ids["ann"])
        accounts.assign(engine, TESTER, "s1", ids["blind"])
        with engine.begin() as connection:  # blind holds an annotate slot of the blind pass
            connection.execute(
                insert(tasks).values(
                    id="t-blind",
                    project_id=project.id,
                    sample_id="s1",
                    stage="annotate",
                    slot=0,
                    status="leased",
                    user_id=ids["blind"],
                    created_at=0.0,
                    updated_at=0.0,
                    candidates_hidden=True,
                )
            )
        yield made
        for client in made.values():
            client.close()


def ask(client: TestClient, **body: Any) -> Any:
    return client.post(
        "/api/samples/s1/proposals",
        json={"proposer": "centre-box", "stream": "s1-image", "label": "person", **body},
    )


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        return (
            connection.execute(select(func.count()).select_from(annotations)).scalar_one(),
            connection.execute(select(func.count()).select_from(events)).scalar_one(),
        )


def test_the_proposer_is_listed_and_its_proposal_stored_with_provenance(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    listed = {item["name"]: item for item in clients["ann"].get("/api/proposers").json()}
    assert listed["centre-box"]["modalities"] == ["image"]
    assert listed["centre-box"]["prompts"] == ["points"]
    assert listed["centre-box"]["parameters"]["properties"]["share"]["default"] == 0.5
    assert listed["centre-box"]["unavailable"] is None

    made = ask(
        clients["ann"], prompt={"points": [{"x": 100, "y": 120}]}, parameters={"share": 0.25}
    )
    assert made.status_code == 201, made.text
    [candidate] = made.json()
    assert candidate["geometry"] == {"type": "box", "x": 36.0, "y": 56.0, "w": 128.0, "h": 128.0}
    assert candidate["label"] == "person"
    assert candidate["revision"] == 1
    assert candidate["source"] == {
        "kind": "model",
        "name": "centre-box-model",
        "version": "1.0",
        "confidence": 0.75,
        "parameters": {
            "proposer": "centre-box",
            "parameters": {"share": 0.25},
            "prompt": {"points": [{"x": 100.0, "y": 120.0, "positive": True}]},
        },
    }
    stored = clients["rev"].get(f"/api/annotations/{candidate['id']}").json()
    assert stored["source"] == candidate["source"]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"stream": "s1-audio"}, 422, "works on image streams, not audio"),
        (
            {"prompt": {"box": {"type": "box", "x": 1, "y": 1, "w": 5, "h": 5}}},
            422,
            "no box prompt",
        ),
        ({"parameters": {"share": 2}}, 422, "parameters.share"),
        ({"parameters": {"size": 2}}, 422, "parameters.size"),
        ({"proposer": "no-such"}, 404, "no-such"),
        ({"stream": "s2-image"}, 422, "no stream 's2-image'"),
        ({"label": "speech"}, 422, "speech"),
    ],
)
def test_a_request_the_proposer_does_not_take_is_refused_writing_nothing(
    engine: Engine, clients: dict[str, TestClient], body: dict[str, Any], status: int, says: str
) -> None:
    before = counts(engine)
    refused = ask(clients["ann"], **body)
    assert refused.status_code == status, refused.text
    assert says in refused.text
    assert counts(engine) == before


def test_the_blind_pass_may_not_ask_for_candidates(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    before = counts(engine)
    refused = ask(clients["blind"])
    assert refused.status_code == 403, refused.text
    assert "ask a model for candidates" in refused.text
    assert counts(engine) == before


def test_decisions_record_what_changed_and_sum_per_model_and_person(
    engine: Engine, project: Project, clients: dict[str, TestClient]
) -> None:
    ann, rev = clients["ann"], clients["rev"]
    first, second, third = (ask(ann).json()[0] for _ in range(3))

    kept = ann.post(
        f"/api/annotations/{first['id']}/decision",
        json={"decision": "accept"},
        headers={"If-Match": '"1"'},
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["decision"] == "accepted"
    assert kept.json()["annotation"]["author"] == "ann"
    assert kept.json()["annotation"]["revision"] == 2
    assert kept.json()["measures"] == {
        "label_changed": False,
        "iou": 1.0,
        "boundary_shift": None,
        "wer": None,
    }

    box = dict(second["geometry"], w=second["geometry"]["w"] / 2)
    edited = ann.post(
        f"/api/annotations/{second['id']}/decision",
        json={"decision": "accept", "geometry": box, "label": "animal"},
        headers={"If-Match": '"1"'},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["decision"] == "edited"
    assert edited.json()["measures"]["iou"] == pytest.approx(0.5)
    assert edited.json()["measures"]["label_changed"] is True

    stale = ann.post(
        f"/api/annotations/{third['id']}/decision",
        json={"decision": "reject"},
        headers={"If-Match": '"3"'},
    )
    assert stale.status_code == 409, stale.text
    dropped = ann.post(
        f"/api/annotations/{third['id']}/decision",
        json={"decision": "reject"},
        headers={"If-Match": '"1"'},
    )
    assert dropped.status_code == 200, dropped.text
    assert dropped.json()["annotation"] is None
    assert ann.get(f"/api/annotations/{third['id']}").status_code == 404

    again = ann.post(
        f"/api/annotations/{first['id']}/decision",
        json={"decision": "reject"},
        headers={"If-Match": '"2"'},
    )
    assert again.status_code == 422
    assert "not a model candidate awaiting a decision" in again.text

    metrics = rev.get(f"/api/projects/{project.id}/metrics/candidates").json()
    [model] = metrics["models"]
    assert model["name"] == "centre-box-model"
    assert (model["decisions"], model["accepted"], model["edited"], model["rejected"]) == (
        3,
        1,
        1,
        1,
    )
    assert model["acceptance"] == pytest.approx(1 / 3)
    assert model["mean_iou"] == pytest.approx(0.5)
    assert model["label_changes"] == 1
    assert [person["name"] for person in metrics["people"]] == ["ann"]
    assert ann.get(f"/api/projects/{project.id}/metrics/candidates").status_code == 403
    with engine.connect() as connection:
        assert (
            connection.execute(select(func.count()).select_from(candidate_decisions)).scalar_one()
            == 3
        )


def test_a_proposer_whose_model_is_missing_says_so(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    settings = Settings(
        media_roots=(MEDIA,), data_dir=tmp_path / "data", proposer_models={"centre-box": "missing"}
    )
    with centre_box_installed(tmp_path / "plugins"):
        insert_sample(engine, project.id, Sample(id="s1", streams=streams_of("s1")))
        with client_as(engine, settings=settings) as admin:
            listed = {item["name"]: item for item in admin.get("/api/proposers").json()}
            assert listed["centre-box"]["unavailable"] == "no model at 'missing'"
            refused = admin.post(
                "/api/samples/s1/proposals",
                json={"proposer": "centre-box", "stream": "s1-image", "label": "person"},
            )
            assert refused.status_code == 422
            assert "no model at 'missing'" in refused.text
    assert "centre-box" not in proposer_classes()
    assert CentreBox.name == "centre-box"
