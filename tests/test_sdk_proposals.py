"""The SDK's proposal methods against a real server on loopback: list the proposers, ask
GrabCut for a mask with a box, accept it edited (a label change) and reject another, read
the decisions per model; an annotator may not read them and an unknown proposer is a
`NotFoundError`."""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from builders import insert_sample, streams_of
from conftest import MEDIA
from loopback import api_token, serve
from rosetta.core.errors import NotFoundError, PermissionDenied
from rosetta.core.geometry import Mask
from rosetta.core.policies import Role
from rosetta.core.schema import Project, Sample
from rosetta.sdk import Client
from rosetta.services.accounts import assign
from rosetta.services.settings import Settings
from rosetta.store.events import Actor


def test_propose_decide_and_read_the_metrics_through_the_sdk(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    insert_sample(engine, project.id, Sample(id="s1", streams=streams_of("s1")))
    tokens = {
        name: api_token(engine, name, project_id=project.id, role=role)
        for name, role in (("ann", Role.ANNOTATOR), ("rev", Role.REVIEWER))
    }
    assign(engine, Actor("tester"), "s1", "ann")
    settings = Settings(media_roots=(MEDIA,), data_dir=tmp_path / "data", job_workers=0)
    with serve(engine, settings) as url, Client(url, tokens["ann"]) as ann:
        listed = {p.name: p for p in ann.proposers()}
        assert listed["grabcut"].prompts == ["box", "points"]
        assert listed["grabcut"].unavailable is None
        assert "no model configured" in (listed["sam"].unavailable or "")

        face = ann.propose("s1", "s1-image", "grabcut", box=(150, 40, 200, 250), label="person")
        [mask] = face
        assert isinstance(mask.geometry, Mask)
        assert mask.geometry.rle.size == (512, 512)
        assert (mask.source.kind, mask.source.name) == ("model", "grabcut")
        assert mask.source.parameters is not None
        assert mask.source.parameters["prompt"]["box"]["w"] == 200
        [again] = ann.propose(
            "s1", "s1-image", "grabcut", points=[(250, 160, True)], label="person"
        )

        kept = ann.decide(mask.id, mask.revision, "accept", label="animal")
        assert (kept.decision, kept.measures.label_changed, kept.measures.iou) == (
            "edited",
            True,
            1.0,
        )
        dropped = ann.decide(again.id, again.revision, "reject")
        assert dropped.decision == "rejected" and dropped.annotation is None
        with pytest.raises(NotFoundError):
            ann.propose("s1", "s1-image", "no-such-proposer", box=(0, 0, 5, 5))
        with pytest.raises(PermissionDenied):
            ann.candidate_metrics(project.name)
        with Client(url, tokens["rev"]) as rev:
            [model] = rev.candidate_metrics(project.name).models
    assert (model.name, model.decisions, model.edited, model.rejected) == ("grabcut", 2, 1, 1)
