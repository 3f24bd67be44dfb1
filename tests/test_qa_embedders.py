"""The QA job's embedder (`rosetta.services.embedders`): ``minilm`` runs the
embedding-divergence check with the MiniLM weights shipped in their package; ``clip``
without a configured model fails the job naming the setting; and a CLIP embedder built by
the server reads a stream's relative URI inside the media roots."""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from builders import box, empty_sample, span, streams_of
from conftest import MEDIA, TESTER
from rosetta.core.errors import RuleViolation
from rosetta.core.schema import Project, Sample
from rosetta.services.embedders import embedder_named
from rosetta.services.job_kinds import submit
from rosetta.services.job_worker import Worker
from rosetta.services.settings import Settings
from tiny_models import clip_model


def test_the_qa_job_runs_the_embedding_check_with_minilm(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    empty_sample(engine, project.id, "s1")
    job = submit(
        engine, TESTER, "qa", project.id, {"checks": ["embedding-divergence"], "embedder": "minilm"}
    )
    [done] = Worker(engine, data_dir=tmp_path / "data", poll=0.05).run_until_idle()
    assert (done.id, done.status) == (job.id, "done"), done.error
    assert done.result is not None and done.result["samples"] == 1


def test_clip_needs_a_configured_model(tmp_path: Path) -> None:
    with pytest.raises(RuleViolation, match="ROSETTA_PROPOSER_MODELS"):
        embedder_named("clip", Settings(data_dir=tmp_path))
    configured = Settings(
        data_dir=tmp_path,
        media_roots=(MEDIA,),
        proposer_models={"clip-labels": str(tmp_path / "none")},
    )
    with pytest.raises(RuleViolation, match="does not exist"):
        embedder_named("clip", configured)


def test_the_servers_clip_embedder_reads_relative_uris_under_the_media_roots(
    tmp_path: Path,
) -> None:
    model = clip_model(tmp_path / "models")
    settings = Settings(
        data_dir=tmp_path, media_roots=(MEDIA,), proposer_models={"clip-labels": str(model)}
    )
    sample = Sample(id="s1", streams=streams_of("s1"))  # the photo is "images/astronaut.png"
    words = span("w", "s1", 3, 12)
    region = box("b", "s1", "person")
    similarity = embedder_named("clip", settings).similarity(sample, words, region)
    assert similarity is not None and -1.0 <= similarity <= 1.0
