"""The preference report on both backends: judged caption samples imported through the
store, streamed back in batches and aggregated; the same numbers through the service, the
CLI's JSON, the API and the SDK; the HTML page draws the leaderboard and runs nothing."""

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from conftest import TESTER
from loopback import api_token, serve
from rosetta.api.app import create_app
from rosetta.cli.main import app as cli
from rosetta.core.errors import RuleViolation
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.policies import Role
from rosetta.core.preference import Candidate, Judgement, PairVerdict, RubricScore
from rosetta.core.preference_report_model import PreferenceReport
from rosetta.core.preference_stats import CandidateFacts, PreferenceTally
from rosetta.core.schema import MediaInfo, Project, Sample, Stream
from rosetta.demo.build import MEDIA_DIR
from rosetta.media.probe import probe
from rosetta.sdk import Client
from rosetta.services.importer import import_samples
from rosetta.services.preference_report import judged_samples, preference_report
from rosetta.services.preference_report_html import render_preference_report
from rosetta.services.projects import create_project, load_ontology
from rosetta.services.settings import Settings
from rosetta.store.engine import open_store

#: Model -> caption; lengths differ, and one caption has code points outside ASCII (its
#: UTF-8 bytes outnumber them).
CAPTIONS = {
    "captioner-small": "An astronaut.",
    "captioner-large": "An astronaut in an orange suit beside a flag on the Moon.",
    "vlm-chat": "Ein Astronaut grüßt neben der Flagge 🚀",
}
#: Evaluator -> the order of models they rank (best first), rotated per sample.
TASTES = {
    "ann": ["captioner-large", "vlm-chat", "captioner-small"],
    "bob": ["captioner-large", "captioner-small", "vlm-chat"],
}


def _text(ident: str, name: str, text: str) -> Stream:
    return Stream(
        id=ident, name=name, modality=Modality.TEXT, text=text, media=MediaInfo(length=len(text))
    )


def judged_sample(index: int) -> Sample:
    """Sample `index`: a prompt, three captions, rankings by ann and bob (each sample's
    ranking rotated by `index` for ann every third sample), bob's pair verdict and scores."""
    sid = f"pref-{index}"
    ids = {model: f"{sid}.{n}" for n, model in enumerate(CAPTIONS)}
    judgements = []
    for author, taste in TASTES.items():
        order = taste if author == "bob" or index % 3 else taste[1:] + taste[:1]
        presented = [ids[m] for m in (list(CAPTIONS)[index % 3 :] + list(CAPTIONS)[: index % 3])]
        ranking = (
            [[ids[order[0]]], [ids[order[1]], ids[order[2]]]]
            if index % 4 == 0
            else [[ids[m]] for m in order]
        )
        judgements.append(
            Judgement(
                id=f"{sid}.{author}",
                author=author,
                presented=presented,
                ranking=ranking,
                pairs=[PairVerdict(a=ids["vlm-chat"], b=ids["captioner-small"], choice="tie")]
                if author == "bob" and index % 2
                else [],
                scores=[
                    RubricScore(
                        candidate=ids[m],
                        criterion="accuracy",
                        value=5 - order.index(m) - (index % 2),
                    )
                    for m in CAPTIONS
                ],
            )
        )
    return Sample(
        id=sid,
        external_id=sid,
        streams=[
            _text(f"{sid}-prompt", "prompt", "Describe the image in one sentence."),
            *(
                _text(f"{sid}-c{n}", model, text)
                for n, (model, text) in enumerate(CAPTIONS.items())
            ),
        ],
        candidates=[
            Candidate(id=ids[model], model=model, streams=[f"{sid}-c{n}"])
            for n, model in enumerate(CAPTIONS)
        ],
        judgements=judgements,
    )


SAMPLES = 9


def _judged(engine: Engine, project: Project) -> Project:
    samples = [judged_sample(i) for i in range(SAMPLES)]
    plain = Sample(id="plain", external_id="plain", streams=[_text("plain-t", "t", "x")])
    import_samples(engine, project.id, [*samples, plain], TESTER)
    return project


@pytest.fixture
def judged(engine: Engine, project: Project) -> Project:
    return _judged(engine, project)


def _expected(ontology: Ontology) -> PreferenceReport:
    tally = PreferenceTally()
    for index in range(SAMPLES):
        sample = judged_sample(index)
        text = {s.id: s.text or "" for s in sample.streams}
        facts = {
            c.id: CandidateFacts(c.model, float(len(text[c.streams[0]])), "characters")
            for c in sample.candidates
        }
        tally.add(sample.id, facts, sample.judgements)
    return PreferenceReport(
        project="", name="test-project", generated_at="", stats=tally.result(ontology.rubric)
    )


def _report(
    engine: Engine, project: Project, *, reference: str | None = None, batch: int = 500
) -> PreferenceReport:
    with engine.connect() as connection:
        found = preference_report(connection, project.id, reference=reference, batch=batch)
    return found.model_copy(update={"project": "", "generated_at": ""})


def test_the_report_streams_the_store_in_batches_and_equals_the_pure_tally(
    engine: Engine, judged: Project, demo_ontology: Ontology
) -> None:
    with engine.connect() as connection:
        rubric = load_ontology(connection, judged.id)
        first = next(judged_samples(connection, judged.id, batch=2))
    expected = _expected(rubric)
    assert _report(engine, judged, batch=2) == expected
    assert _report(engine, judged, batch=500) == expected
    stats = expected.stats
    assert stats.samples == SAMPLES
    assert stats.evaluators == ["ann", "bob"]
    assert stats.bradley_terry.strengths[0].model == "captioner-large"
    assert [c.criterion for c in stats.rubric][:1] == ["accuracy"]
    assert stats.ranking_agreement.units == SAMPLES * 3
    # text lengths are code points, read by the database
    sample_id, facts, judgements = first
    assert sample_id == "pref-0"
    assert {f.model: f.length for f in facts.values()} == {
        model: float(len(text)) for model, text in CAPTIONS.items()
    }
    assert len(CAPTIONS["vlm-chat"].encode()) > len(CAPTIONS["vlm-chat"])
    assert [j.author for j in judgements] == ["ann", "bob"]


def test_spoken_candidates_are_measured_in_seconds(engine: Engine, project: Project) -> None:
    spoken = {
        "tts-a": MEDIA_DIR / "audio" / "s1_astronaut.wav",
        "tts-b": MEDIA_DIR / "audio" / "s2_chelsea.wav",
    }
    streams = [
        Stream(
            id=f"say-{m}",
            name=m,
            modality=Modality.AUDIO,
            uri=str(path),
            media=probe(str(path), Modality.AUDIO),
        )
        for m, path in spoken.items()
    ]
    sample = Sample(
        id="spoken",
        external_id="spoken",
        streams=[_text("spoken-prompt", "prompt", "Say what you see."), *streams],
        candidates=[Candidate(id=f"spoken.{m}", model=m, streams=[f"say-{m}"]) for m in spoken],
        judgements=[
            Judgement(id="spoken.ann", author="ann", ranking=[["spoken.tts-b"], ["spoken.tts-a"]])
        ],
    )
    import_samples(engine, project.id, [sample], TESTER)
    with engine.connect() as connection:
        [(_, facts, _)] = list(judged_samples(connection, project.id))
    durations = {s.name: s.media.duration for s in streams}
    assert all(d and d > 0 for d in durations.values())
    assert {f.model: (f.length, f.unit) for f in facts.values()} == {
        m: (pytest.approx(durations[m]), "seconds") for m in spoken
    }


def test_an_unknown_reference_model_is_a_rule_violation(engine: Engine, judged: Project) -> None:
    report = _report(engine, judged, reference="vlm-chat")
    assert report.stats.bradley_terry.reference == "vlm-chat"
    with pytest.raises(
        RuleViolation, match=r"reference: reference model 'gpt-9' has no comparisons"
    ):
        _report(engine, judged, reference="gpt-9")


def test_the_page_draws_the_leaderboard_and_escapes_names(engine: Engine, judged: Project) -> None:
    report = _report(engine, judged).model_copy(update={"name": "<img src=x onerror=alert(1)>"})
    page = render_preference_report(report)
    assert page.count("<svg") == 2  # the leaderboard and the win-rate matrix
    assert "<script" not in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_cli_prints_json_and_writes_the_page(tmp_path: Path, demo_ontology: Ontology) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = open_store(url)
    project = _judged(engine, create_project(engine, "test-project", demo_ontology, TESTER))
    out = tmp_path / "preferences.html"
    result = CliRunner().invoke(
        cli, ["--db", url, "preferences", "report", "test-project", "--json", "--html", str(out)]
    )
    assert result.exit_code == 0, result.output
    printed = PreferenceReport.model_validate(json.loads(result.stdout))
    assert printed.model_copy(update={"project": "", "generated_at": ""}) == _report(
        engine, project
    )
    assert "<svg" in out.read_text()
    tables = CliRunner().invoke(cli, ["--db", url, "preferences", "report", "test-project"])
    assert tables.exit_code == 0, tables.output
    assert "captioner-large" in tables.stdout
    engine.dispose()


def test_the_api_and_the_sdk_answer_the_same_numbers(
    tmp_path: Path, engine: Engine, judged: Project
) -> None:
    token = api_token(engine, "rev", project_id=judged.id, role=Role.REVIEWER)
    annotator = api_token(engine, "ann", project_id=judged.id, role=Role.ANNOTATOR)
    expected = _report(engine, judged)
    path = f"/api/projects/{judged.id}/preferences/report"
    settings = Settings(data_dir=tmp_path / "data", job_workers=0)
    with TestClient(create_app(engine, settings)) as http:
        answer = http.get(path, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
        found = PreferenceReport.model_validate(answer.json())
        assert found.model_copy(update={"project": "", "generated_at": ""}) == expected
        page = http.get(
            path, params={"format": "html"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert re.match(r"default-src 'none'", page.headers["content-security-policy"])
        assert "<svg" in page.text
        unknown = http.get(
            path, params={"reference": "gpt-9"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert unknown.status_code == 422
        assert "reference" in unknown.text
        refused = http.get(path, headers={"Authorization": f"Bearer {annotator}"})
        assert refused.status_code == 403
    with serve(engine, settings) as url, Client(url, token) as client:
        through_sdk = client.preference_report("test-project", reference="captioner-small")
        through_page = client.preference_report_page("test-project")
    assert through_sdk.stats.bradley_terry.reference == "captioner-small"
    assert through_sdk.stats.models == expected.stats.models
    assert "<svg" in through_page
