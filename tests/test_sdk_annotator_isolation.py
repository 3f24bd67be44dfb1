"""An annotator's SDK client, against the real server on loopback, reads nothing of another
project, no gold answer, no other annotator's blind work and no one else's judgement.

Every public read method of `rosetta.sdk.Client` has a case here (the first test holds the
list against the SDK's methods, so a new read method fails it until it gets one). Each
case is called as the annotator, whose every HTTP answer is recorded raw and scanned for
the secret markers planted in what must not leak; and as an insider (the other project's
manager, or this project's manager) whose answer must hold what the case names, so a case
that could not see a leak fails.
"""

import inspect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import Engine

from builders import box, streams_of
from conftest import MEDIA, TESTER
from loopback import api_token, serve
from preference_samples import WHY, preference_sample
from rosetta.core.errors import NotFoundError, PermissionDenied, RosettaError
from rosetta.core.geometry import Box
from rosetta.core.ontology import Ontology
from rosetta.core.policies import Role
from rosetta.core.schema import Entity, Link, MediaInfo, Project, Sample
from rosetta.core.workflow import AnnotateStage, GoldMixing, Workflow
from rosetta.sdk import Client, Decision, SampleSnapshot
from rosetta.services.importer import import_samples
from rosetta.services.projects import create_project
from rosetta.services.settings import Settings
from rosetta.store.events import Actor

#: Never in an answer to the annotator: the gold reference's attribute, the manager's
#: question and a reviewer's reason about it.
GOLD = "SECRET-GOLD-7f3a"
#: Never in an answer to the annotator: the blind peer's attribute, question, its answer
#: and a reviewer's reason about the peer's work.
BLIND = "SECRET-BLIND-2c9e"
#: Never in an answer to the annotator: the peer's rationale of their judgement.
JUDGED = "SECRET-JUDGE-5b1d"
#: Never in an answer to the annotator: the other project's text and attributes.
OTHER = "SECRET-OTHER-81d0"
MARKERS = (GOLD, BLIND, JUDGED, OTHER)

#: The other annotator, on the same overlap sample; their name is in the ids of their work.
PEER = "peer4c"
#: In the ids of the gold reference's annotations, entity and link.
REFERENCE = "goldref"
#: The other project's name, in the ids of all of its samples and work.
ELSEWHERE = "elsewhere"
#: The manager of the other project (the annotator is no member of it).
OWEN = "owen"

ROLES = {"ann": Role.ANNOTATOR, PEER: Role.ANNOTATOR, "rev": Role.REVIEWER, "mona": Role.MANAGER}
WORKFLOW = Workflow(
    stages=(AnnotateStage(overlap=2, overlap_share=1.0),), gold=GoldMixing(first=1, rate=0.0)
)
DRAWN = Box(x=40, y=40, w=80, h=80)

#: Public methods of `Client` that read no project data, or write (their answers to the
#: annotator are recorded and scanned all the same while the world is set up).
NOT_READS = {
    # the session and the account of the caller, and the site's users
    "close",
    "login",
    "logout",
    "health",
    "me",
    "tokens",
    "create_token",
    "revoke_token",
    "users",
    "create_user",
    "update_user",
    # catalogues of the server, the same for everyone
    "checks",
    "formats",
    "proposers",
    # writes: projects, members, assignments, ontology, workflow, gold marks, skills
    "create_project",
    "set_member",
    "remove_member",
    "assign",
    "unassign",
    "migrate_ontology",
    "set_workflow",
    "set_priorities",
    "enqueue",
    "mark_gold",
    "unmark_gold",
    "set_skills",
    # writes: tasks (leasing one included), reviews, escalations, findings, judgements
    "next_task",
    "submit_task",
    "release_task",
    "review_task",
    "review_sample",
    "escalate",
    "answer_escalation",
    "withdraw_escalation",
    "clarify_escalation",
    "set_finding_status",
    "judge",
    "withdraw_judgement",
    # writes: samples and work, and model candidates
    "update_sample",
    "submit_sample",
    "create_annotation",
    "update_annotation",
    "delete_annotation",
    "create_entity",
    "update_entity",
    "delete_entity",
    "create_link",
    "update_link",
    "delete_link",
    "confirm_link",
    "reject_link",
    "propose",
    "decide",
    # writes: jobs (imports, exports, check runs), and changing them
    "submit_job",
    "submit_export",
    "export_format",
    "import_format",
    "upload_import",
    "run_checks",
    "cancel_job",
    "retry_job",
}


def public_methods() -> set[str]:
    """The names of the public methods of `Client` and its mixins."""
    return {
        name
        for name, member in inspect.getmembers(Client)
        if not name.startswith("_") and callable(member)
    }


# --- the world --------------------------------------------------------------------------------


def _text(sample: Sample, stream_id: str, text: str) -> Sample:
    """`sample` with the text of stream `stream_id` replaced by `text`."""
    streams = [
        s.model_copy(update={"text": text, "media": MediaInfo(length=len(text))})
        if s.id == stream_id
        else s
        for s in sample.streams
    ]
    return sample.model_copy(update={"streams": streams})


def _work(sample_id: str, prefix: str, author: str, marker: str) -> Sample:
    """A sample with `author`'s work (ids ``<sample_id>.<prefix>-...``): an animal whose
    species is `marker`, a cat, an entity of both and a same-as link between them
    (which the entity-consistency check reports as drift)."""
    animal = f"{sample_id}.{prefix}-animal"
    craft = f"{sample_id}.{prefix}-craft"
    return Sample(
        id=sample_id,
        streams=streams_of(sample_id),
        annotations=[
            box(animal, sample_id, "animal", x=10).model_copy(
                update={"author": author, "attributes": {"species": marker}}
            ),
            box(craft, sample_id, "cat", x=300).model_copy(update={"author": author}),
        ],
        entities=[Entity(id=f"{sample_id}.{prefix}-thing", members=[animal, craft], author=author)],
        links=[
            Link(
                id=f"{sample_id}.{prefix}-same",
                type="same-as",
                source=animal,
                target=craft,
                author=author,
            )
        ],
    )


@dataclass
class Recorder:
    """Every HTTP answer a client got: the request's URL (decoded) and the raw body."""

    answers: list[tuple[str, bytes]] = field(default_factory=list)

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        self.answers.append((unquote(str(response.request.url)), response.content))

    def leaks(self, secrets: Iterable[str], names: Iterable[str] = ()) -> list[str]:
        """The `secrets` found in any answer, and the `names` found in an answer to a
        request that did not name them (an error may repeat what was asked)."""
        found = []
        for url, body in self.answers:
            for secret in secrets:
                if secret.encode() in body:
                    found.append(f"{secret} in the answer to {url}")
            for name in names:
                if name.encode() in body and name not in url:
                    found.append(f"{name} in the answer to {url}")
        return found

    def holds(self, text: str) -> bool:
        return any(text.encode() in body for _, body in self.answers)


def watched(url: str, token: str) -> tuple[Client, Recorder]:
    """A client whose every answer is recorded."""
    client = Client(url, token)
    recorder = Recorder()
    client.http.event_hooks["response"].append(recorder)
    return client, recorder


@dataclass
class World:
    """The two projects on a running server, the people's clients and what the cases need."""

    project: Project
    other: Project
    clients: dict[str, Client]
    recorders: dict[str, Recorder]
    jobs: dict[str, str]
    folder: Path


@pytest.fixture
def world(
    engine: Engine, project: Project, demo_ontology: Ontology, tmp_path: Path
) -> Iterator[World]:
    """Project ``test-project`` with its gold sample g1 (mona's reference), the overlap
    sample b1 (the peer's blind work), the preference sample p1 (the peer's judgement)
    and an export; project ``elsewhere`` with a sample, a preference sample and an export
    of its own, of which the annotator is no member. The annotator has done her tasks."""
    other = create_project(engine, ELSEWHERE, demo_ontology, TESTER)
    tokens = {
        name: api_token(engine, name, project_id=project.id, role=role)
        for name, role in ROLES.items()
    }
    tokens[OWEN] = api_token(engine, OWEN, project_id=other.id, role=Role.MANAGER)
    import_samples(engine, project.id, [_work("g1", REFERENCE, "mona", GOLD)], Actor("mona"))
    import_samples(engine, project.id, [_work("b1", PEER, PEER, BLIND)], Actor(PEER))
    judged = preference_sample("p1", (PEER,))
    import_samples(engine, project.id, [_text(judged, f"p1-why-{PEER}", f"{WHY} {JUDGED}")], TESTER)
    theirs = _text(_work(f"{ELSEWHERE}-s1", ELSEWHERE, OWEN, OTHER), f"{ELSEWHERE}-s1-text", OTHER)
    import_samples(engine, other.id, [theirs], Actor(OWEN))
    pref = preference_sample(f"{ELSEWHERE}-p1", (OWEN,))
    import_samples(engine, other.id, [_text(pref, f"{SP}-why-{OWEN}", f"{WHY} {OTHER}")], TESTER)

    settings = Settings(data_dir=tmp_path / "data", job_workers=1, media_roots=(MEDIA,))
    with serve(engine, settings) as url:
        pairs = {name: watched(url, token) for name, token in tokens.items()}
        clients = {name: pair[0] for name, pair in pairs.items()}
        recorders = {name: pair[1] for name, pair in pairs.items()}
        try:
            jobs = _make_history(project, clients)
            yield World(project, other, clients, recorders, jobs, tmp_path)
        finally:
            for client in clients.values():
                client.close()


def _make_history(project: Project, clients: dict[str, Client]) -> dict[str, str]:
    """The work done through the SDK; the ids of the two projects' exports."""
    mona, rev, ann, peer, owen = (clients[n] for n in ("mona", "rev", "ann", PEER, OWEN))
    mona.set_workflow(project.name, WORKFLOW)
    mona.mark_gold("g1", "audit")
    assert mona.enqueue(project.name, ["b1"]) == 2  # two overlap slots
    for person in (peer, ann):  # each gets the gold sample first, then the overlap sample
        gold = person.next_task(project.name)
        assert gold is not None and (gold.sample, gold.kind) == ("g1", "work")
        if person is ann:
            ann.create_annotation("g1", stream="g1-image", label="person", geometry=DRAWN)
        person.submit_task(gold.id)
        work = person.next_task(project.name)
        assert work is not None and work.sample == "b1"
        if person is ann:
            ann.create_annotation("b1", stream="b1-image", label="person", geometry=DRAWN)
        else:
            asked = peer.escalate("b1", f"Is this an animal? {BLIND}")
            rev.answer_escalation(asked.id, f"Yes. {BLIND}")
        person.submit_task(work.id)
    mona.escalate("g1", f"Is the reference right? {GOLD}")
    for sample_id, prefix, marker in (("g1", REFERENCE, GOLD), ("b1", PEER, BLIND)):
        decision = Decision(f"{sample_id}.{prefix}-animal", "accepted", f"fine {marker}")
        rev.review_sample(sample_id, [decision], None, rev.sample(sample_id).revision)
    mona.assign("p1", "ann")
    shown = [c.id for c in ann.sample("p1").sample.candidates]
    ann.judge("p1", ranking=[[shown[0]], shown[1:]], rationale="Mine.")
    owen.set_workflow(ELSEWHERE, Workflow(stages=(AnnotateStage(),)))
    owen.assign(S, OWEN)
    owen.set_skills(ELSEWHERE, OWEN, ["language:de"])
    owen.escalate(S, f"Whose is this? {OTHER}")
    rejected = Decision(f"{S}.{ELSEWHERE}-animal", "rejected", f"wrong {OTHER}")
    owen.review_sample(S, [rejected], None, owen.sample(S).revision)
    owen.mark_gold(SP, "audit")
    assert owen.enqueue(ELSEWHERE, [S]) == 1
    jobs = {}
    for name, client, which in (("own", mona, project.name), ("other", owen, ELSEWHERE)):
        job = client.wait(client.submit_export(which, formats=["jsonl"]), poll=0.05, timeout=60)
        assert job.status == "done", job
        jobs[name] = job.id
    return jobs


# --- the cases ----------------------------------------------------------------------------------

Call = Callable[[Client, World], object]


@dataclass(frozen=True)
class Case:
    """One read: how to make it, what the annotator gets (`refused`: the exact error;
    ``None``: an answer, which `view` turns into `expected` when given) and what the
    insider's answer holds (`shows`)."""

    call: Call
    refused: type[RosettaError] | None
    shows: tuple[str, ...] = ()
    view: Callable[[Any], object] | None = None
    expected: object = None


def authors(snapshot: SampleSnapshot) -> dict[str, list[str | None]]:
    """Who made each kind of work the snapshot shows."""
    sample = snapshot.sample
    return {
        kind: sorted(item.author or "" for item in getattr(sample, kind))
        for kind in ("annotations", "entities", "links", "judgements")
    }


def ids(items: Iterable[Any]) -> list[str]:
    return [item.id for item in items]


#: What the annotator sees of the gold and the overlap sample: her own box only.
HER_BOX = {"annotations": ["ann"], "entities": [], "links": [], "judgements": []}


def _snapshot(sample_id: str) -> SampleSnapshot:
    """A snapshot of a revision the sample never had, so `Client.refresh` reads it anew."""
    return SampleSnapshot(Sample(id=sample_id), 0)


S = f"{ELSEWHERE}-s1"
SP = f"{ELSEWHERE}-p1"
NO = PermissionDenied
GONE = NotFoundError

#: Reads of the other project, by method (``method:what`` when there are several).
ELSEWHERE_CASES: dict[str, Case] = {
    "projects": Case(lambda c, w: c.projects(), None, (ELSEWHERE,)),
    "project": Case(lambda c, w: c.project(ELSEWHERE), GONE, (ELSEWHERE,)),
    "ontology": Case(lambda c, w: c.ontology(ELSEWHERE), GONE, ("refers-to",)),
    "ontology_versions": Case(lambda c, w: c.ontology_versions(ELSEWHERE), GONE, ("tester",)),
    "my_assignments": Case(lambda c, w: c.my_assignments(), None, (S,)),
    "my_assignments:project": Case(lambda c, w: c.my_assignments(ELSEWHERE), None, (S,)),
    "members": Case(lambda c, w: c.members(ELSEWHERE), GONE, (OWEN,)),
    "assignments": Case(lambda c, w: list(c.assignments(ELSEWHERE)), GONE, (S,)),
    "samples": Case(lambda c, w: list(c.samples(ELSEWHERE)), GONE, (S,)),
    "sample": Case(lambda c, w: c.sample(S), GONE, (OTHER,)),
    "refresh": Case(lambda c, w: c.refresh(_snapshot(S)), GONE, (OTHER,)),
    "streams": Case(lambda c, w: c.streams(S), GONE, (OTHER,)),
    "stream": Case(lambda c, w: c.stream(f"{S}-text"), GONE, (OTHER,)),
    "download_media": Case(
        lambda c, w: c.download_media(f"{S}-image", w.folder / "other.png"), GONE, ("PNG",)
    ),
    "annotation": Case(lambda c, w: c.annotation(f"{S}.{ELSEWHERE}-animal"), GONE, (OTHER,)),
    "entity": Case(
        lambda c, w: c.entity(f"{S}.{ELSEWHERE}-thing"), GONE, (f"{S}.{ELSEWHERE}-craft",)
    ),
    "link": Case(lambda c, w: c.link(f"{S}.{ELSEWHERE}-same"), GONE, ("same-as",)),
    "history": Case(lambda c, w: list(c.history(f"{S}.{ELSEWHERE}-animal")), GONE, (OTHER,)),
    "history:sample": Case(lambda c, w: list(c.history(S)), GONE, (S,)),
    "sample_review": Case(lambda c, w: c.sample_review(S), GONE, (OTHER,)),
    "review_queue": Case(lambda c, w: list(c.review_queue(ELSEWHERE)), GONE),
    "escalations": Case(lambda c, w: c.escalations(S), GONE, (OTHER,)),
    "project_escalations": Case(
        lambda c, w: list(c.project_escalations(ELSEWHERE)), GONE, (OTHER,)
    ),
    "sample_findings": Case(lambda c, w: c.sample_findings(S), GONE, ("entity-consistency",)),
    "findings": Case(lambda c, w: list(c.findings(ELSEWHERE)), GONE, ("entity-consistency",)),
    "findings_summary": Case(
        lambda c, w: c.findings_summary(ELSEWHERE), GONE, ("entity-consistency",)
    ),
    "quality_report": Case(lambda c, w: c.quality_report(ELSEWHERE), GONE, ("entity-consistency",)),
    "judgements": Case(lambda c, w: c.judgements(SP), GONE, (f"{SP}-why-{OWEN}",)),
    "preference_report": Case(
        lambda c, w: c.preference_report(ELSEWHERE), GONE, ("captioner-large",)
    ),
    "preference_report_page": Case(
        lambda c, w: c.preference_report_page(ELSEWHERE), GONE, ("captioner-large",)
    ),
    "jobs": Case(lambda c, w: list(c.jobs(ELSEWHERE)), GONE, ("export",)),
    "job": Case(lambda c, w: c.job(w.jobs["other"]), GONE, ("export",)),
    "job_logs": Case(lambda c, w: list(c.job_logs(w.jobs["other"])), GONE, ("done",)),
    "job_files": Case(lambda c, w: c.job_files(w.jobs["other"]), GONE, ("samples-",)),
    "download_export": Case(
        lambda c, w: c.download_export(w.jobs["other"], w.folder / "other-export"), GONE, (OTHER,)
    ),
    "wait": Case(lambda c, w: c.wait(w.jobs["other"], timeout=5), GONE, ("done",)),
    "workflow": Case(lambda c, w: c.workflow(ELSEWHERE), GONE, ("annotate",)),
    "tasks": Case(lambda c, w: list(c.tasks(ELSEWHERE)), GONE, (S,)),
    "gold": Case(lambda c, w: list(c.gold(ELSEWHERE)), GONE, (SP,)),
    "gold_results": Case(lambda c, w: list(c.gold_results(ELSEWHERE)), GONE),
    "qualifications": Case(lambda c, w: c.qualifications(ELSEWHERE), GONE),
    "skills": Case(lambda c, w: c.skills(ELSEWHERE, OWEN), GONE, ("language:de",)),
    "annotator_metrics": Case(lambda c, w: c.annotator_metrics(ELSEWHERE), GONE, (OWEN,)),
    "annotator_metrics_of": Case(
        lambda c, w: c.annotator_metrics_of(ELSEWHERE, OWEN), GONE, (OWEN,)
    ),
    "candidate_metrics": Case(lambda c, w: c.candidate_metrics(ELSEWHERE), GONE),
}

G_ANIMAL, G_THING, G_SAME = (f"g1.{REFERENCE}-{x}" for x in ("animal", "thing", "same"))
B_ANIMAL, B_THING, B_SAME = (f"b1.{PEER}-{x}" for x in ("animal", "thing", "same"))
P = "test-project"

#: Reads in the annotator's own project about the gold sample g1, the overlap sample b1
#: and the preference sample p1, by method (``method:what`` when there are several).
OWN_CASES: dict[str, Case] = {
    "projects": Case(lambda c, w: c.projects(), None, (P,)),
    "project": Case(lambda c, w: c.project(P), None, (P,)),
    "ontology": Case(lambda c, w: c.ontology(P), None, ("refers-to",)),
    "ontology_versions": Case(lambda c, w: c.ontology_versions(P), None, ("tester",)),
    "my_assignments": Case(
        lambda c, w: c.my_assignments(P),
        None,
        view=lambda got: sorted((a.sample, a.blind) for a in got),
        expected=[("b1", True), ("g1", True), ("p1", False)],
    ),
    "members": Case(lambda c, w: c.members(P), NO, (PEER,)),
    "assignments": Case(lambda c, w: list(c.assignments(P)), NO, (PEER,)),
    "samples": Case(
        lambda c, w: list(c.samples(P)),
        None,
        ('"gold":true', '"annotations":3'),
        view=lambda got: sorted(
            (s.id, s.gold, s.annotations, s.links) for s in got if s.id != "p1"
        ),
        expected=[("b1", False, 1, 0), ("g1", False, 1, 0)],
    ),
    "samples:judged": Case(
        lambda c, w: [s for s in c.samples(P) if s.id == "p1"],
        None,
        ('"annotations":2',),
        view=lambda got: [(s.annotations, s.links) for s in got],
        expected=[(1, 0)],  # the target span; not the peer's rationale phrase nor its link
    ),
    "samples:label": Case(
        lambda c, w: list(c.samples(P, label="animal")), None, ("g1", "b1"), ids, []
    ),
    "samples:annotator": Case(
        lambda c, w: list(c.samples(P, annotator=PEER)), None, ("b1",), ids, []
    ),
    "samples:reference": Case(
        lambda c, w: list(c.samples(P, annotator="mona")), None, ("g1",), ids, []
    ),
    "sample:gold": Case(
        lambda c, w: c.sample("g1"), None, (GOLD, G_THING, G_SAME), authors, HER_BOX
    ),
    "sample:blind": Case(
        lambda c, w: c.sample("b1"), None, (BLIND, B_THING, B_SAME), authors, HER_BOX
    ),
    "sample:judged": Case(
        lambda c, w: c.sample("p1"),
        None,
        (JUDGED, PEER),
        authors,
        {"annotations": [""], "entities": [], "links": [], "judgements": ["ann"]},
    ),
    "refresh:gold": Case(lambda c, w: c.refresh(_snapshot("g1")), None, (GOLD,), authors, HER_BOX),
    "refresh:blind": Case(
        lambda c, w: c.refresh(_snapshot("b1")), None, (BLIND,), authors, HER_BOX
    ),
    "streams": Case(
        lambda c, w: c.streams("p1"),
        None,
        (JUDGED,),
        lambda got: [s.name for s in got],  # the rationale is hers (the peer's: JUDGED)
        ["prompt", "photo", "small", "large", "vlm", "rationale"],
    ),
    "stream": Case(lambda c, w: c.stream(f"p1-why-{PEER}"), GONE, (JUDGED,)),
    "download_media": Case(
        lambda c, w: c.download_media("g1-image", w.folder / "g1.png"), None, ("PNG",)
    ),
    "annotation:gold": Case(lambda c, w: c.annotation(G_ANIMAL), GONE, (GOLD,)),
    "annotation:blind": Case(lambda c, w: c.annotation(B_ANIMAL), GONE, (BLIND,)),
    "entity:gold": Case(lambda c, w: c.entity(G_THING), GONE, (G_ANIMAL,)),
    "entity:blind": Case(lambda c, w: c.entity(B_THING), GONE, (B_ANIMAL,)),
    "link:gold": Case(lambda c, w: c.link(G_SAME), GONE, (G_ANIMAL,)),
    "link:blind": Case(lambda c, w: c.link(B_SAME), GONE, (B_ANIMAL,)),
    "history:gold": Case(lambda c, w: list(c.history(G_ANIMAL)), NO, (GOLD,)),
    "history:blind": Case(lambda c, w: list(c.history(B_ANIMAL)), NO, (BLIND,)),
    "history:sample": Case(lambda c, w: list(c.history("g1")), NO, ("g1",)),
    "sample_review:gold": Case(
        lambda c, w: c.sample_review("g1"), None, (GOLD,), lambda got: got.annotations, []
    ),
    "sample_review:blind": Case(
        lambda c, w: c.sample_review("b1"), None, (BLIND,), lambda got: got.annotations, []
    ),
    "review_queue": Case(lambda c, w: list(c.review_queue(P)), NO),
    "escalations:gold": Case(lambda c, w: c.escalations("g1"), None, (GOLD,), ids, []),
    "escalations:blind": Case(lambda c, w: c.escalations("b1"), None, (BLIND, PEER), ids, []),
    "project_escalations": Case(
        lambda c, w: list(c.project_escalations(P)), None, (GOLD, BLIND), ids, []
    ),
    "sample_findings:gold": Case(lambda c, w: c.sample_findings("g1"), None, (G_ANIMAL,), ids, []),
    "sample_findings:blind": Case(lambda c, w: c.sample_findings("b1"), None, (B_ANIMAL,), ids, []),
    "findings": Case(lambda c, w: list(c.findings(P)), NO, (G_ANIMAL, B_ANIMAL)),
    "findings_summary": Case(lambda c, w: c.findings_summary(P), NO, (PEER,)),
    "quality_report": Case(lambda c, w: c.quality_report(P), NO, ("entity-consistency",)),
    "judgements": Case(
        lambda c, w: c.judgements("p1"), None, (PEER,), lambda got: [j.author for j in got], ["ann"]
    ),
    "preference_report": Case(lambda c, w: c.preference_report(P), NO, (PEER,)),
    "preference_report_page": Case(lambda c, w: c.preference_report_page(P), NO, (PEER,)),
    "jobs": Case(lambda c, w: list(c.jobs(P)), NO, ("export",)),
    "job": Case(lambda c, w: c.job(w.jobs["own"]), NO, ("export",)),
    "job_logs": Case(lambda c, w: list(c.job_logs(w.jobs["own"])), NO, ("done",)),
    "job_files": Case(lambda c, w: c.job_files(w.jobs["own"]), NO, ("samples-",)),
    "download_export": Case(
        lambda c, w: c.download_export(w.jobs["own"], w.folder / "own-export"), NO, (GOLD, BLIND)
    ),
    "wait": Case(lambda c, w: c.wait(w.jobs["own"], timeout=5), NO, ("done",)),
    "workflow": Case(lambda c, w: c.workflow(P), NO, ("overlap",)),
    "tasks": Case(lambda c, w: list(c.tasks(P)), NO, (PEER, '"kind":"gold"')),
    "gold": Case(lambda c, w: list(c.gold(P)), NO, ("g1",)),
    "gold_results": Case(lambda c, w: list(c.gold_results(P)), NO, (PEER,)),
    "qualifications": Case(lambda c, w: c.qualifications(P), None, (), list, []),
    "skills": Case(lambda c, w: c.skills(P, PEER), NO),
    "annotator_metrics": Case(lambda c, w: c.annotator_metrics(P), NO, (PEER,)),
    "annotator_metrics_of": Case(lambda c, w: c.annotator_metrics_of(P, "ann"), None, (PEER,)),
    "candidate_metrics": Case(lambda c, w: c.candidate_metrics(P), NO),
}


def methods_of(cases: dict[str, Case]) -> set[str]:
    return {key.split(":")[0] for key in cases}


def test_every_read_method_of_the_sdk_has_a_case() -> None:
    reads = public_methods() - NOT_READS
    assert public_methods() >= NOT_READS, NOT_READS - public_methods()
    assert methods_of(ELSEWHERE_CASES) == reads
    assert methods_of(OWN_CASES) == reads


def run(
    cases: dict[str, Case],
    world: World,
    insider: str,
    secrets: tuple[str, ...],
    names: tuple[str, ...],
) -> list[str]:
    """Every case as the annotator and as the `insider`; what went otherwise than said."""
    ann, seen = world.clients["ann"], world.recorders["ann"]
    problems = []
    for key, case in cases.items():
        seen.answers.clear()
        got: type[RosettaError] | None = None
        try:
            answer = case.call(ann, world)
        except RosettaError as error:
            got = type(error)
        if got is not case.refused:
            problems.append(f"{key}: the annotator got {got}, not {case.refused}")
        elif case.view is not None and (shown := case.view(answer)) != case.expected:
            problems.append(f"{key}: the annotator was shown {shown!r}, not {case.expected!r}")
        problems += [f"{key}: {leak}" for leak in seen.leaks(secrets, names)]
        control = world.recorders[insider]
        control.answers.clear()
        try:
            case.call(world.clients[insider], world)
        except RosettaError as error:
            problems.append(f"{key}: {insider} got {error!r}")
        problems += [
            f"{key}: {insider} was not shown {text}"
            for text in case.shows
            if not control.holds(text)
        ]
    return problems


def test_nothing_of_another_project_reaches_an_annotator(world: World) -> None:
    problems = run(ELSEWHERE_CASES, world, OWEN, MARKERS, (ELSEWHERE, world.other.id, OWEN))
    assert not problems, "\n".join(problems)


def test_gold_blind_work_and_judgements_of_others_never_reach_an_annotator(world: World) -> None:
    assert world.recorders["ann"].leaks(MARKERS, (REFERENCE, PEER, ELSEWHERE, OWEN)) == []
    problems = run(OWN_CASES, world, "mona", MARKERS, (REFERENCE, PEER, ELSEWHERE, OWEN))
    assert not problems, "\n".join(problems)
