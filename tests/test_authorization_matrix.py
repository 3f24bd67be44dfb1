"""Every route of the app, called as every kind of person, against the demo project.

Each route declares who may call it (``x-rosetta-policy``, `rosetta.api.auth.policy`). Here
each is called with a valid request as: no one, a user outside the project, the project's
annotator (the sample is assigned to her), reviewer, manager and admin, and a site
administrator. Those the policy admits must get through (no 401, 403 or 404); the others
must be refused (401 without credentials, else 403 or 404) and a refused call must write
nothing. A route without a declared policy, or missing from the request table below,
fails the test: a new route must say who may call it and get a row here.

The demo store is built once into a template file and copied for each route, and again
after each call that may have changed it.
"""

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from conftest import DEMO_ONTOLOGY, TESTER
from rosetta.api import create_app
from rosetta.api.auth import POLICIES
from rosetta.core.policies import Access, Assignment, Role, role_in
from rosetta.core.workflow import AnnotateStage, ReviewStage, Workflow
from rosetta.demo.build import DEMO_PASSWORD, MEDIA_DIR, build_demo
from rosetta.services import accounts
from rosetta.services.catalog import sample_revision
from rosetta.services.escalations import answer, ask
from rosetta.services.findings import project_findings
from rosetta.services.judgements import Verdict, put_judgement
from rosetta.services.media_grants import grant
from rosetta.services.projects import load_ontology_file
from rosetta.services.qa_runs import catch_up
from rosetta.services.settings import Settings
from rosetta.services.task_leases import next_task, submit_task
from rosetta.services.workflow import enqueue, set_workflow
from rosetta.store.engine import make_engine, open_store
from rosetta.store.events import Actor
from rosetta.store.tables import annotations, assignments, entities, events, jobs, links

#: The people, least privileged first, and the policies that admit each.
PEOPLE = ("anonymous", "outsider", "ada", "grace", "mona", "adam", "admin")
ADMITS: dict[str, set[str]] = {
    "anonymous": {"public"},
    "outsider": {"public", "user"},
    "ada": {"public", "user", "annotator"},
    "grace": {"public", "user", "annotator", "reviewer"},
    "mona": {"public", "user", "annotator", "reviewer", "manager"},
    "adam": {"public", "user", "annotator", "reviewer", "manager", "admin"},
    "admin": set(POLICIES),
}
SAMPLE = "slideshow"
STREAM = "slideshow.video"
BOX = "slideshow.still-1.astronaut"
TRACK = "slideshow.track-1"
LINK = "slideshow.names-1"
ENTITY = "slideshow.astronaut"
#: The demo's preference sample, which every member has judged.
PREFERENCE = "caption-ranking"
#: Routes whose admitted callers may still get a 404 from the demo (no export files yet).
NOT_THERE = {"job_file"}


@dataclass(frozen=True)
class World:
    """The template store and what the requests need from it."""

    path: Path
    project: str
    tokens: dict[str, str]
    token_ids: dict[str, str]
    user_ids: dict[str, str]
    job: str
    revisions: dict[str, int]
    tasks: dict[str, str]
    escalations: dict[str, str]
    finding: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("matrix")
    path = folder / "template.db"
    engine = open_store(f"sqlite:///{path}")
    project = build_demo(engine).id
    tokens, token_ids, user_ids = {}, {}, {}
    roles = {"mona": Role.MANAGER, "adam": Role.ADMIN}
    for name in ("outsider", "mona", "adam"):
        accounts.create_user(engine, name, DEMO_PASSWORD)
    for name in PEOPLE[1:]:
        with engine.connect() as connection:
            user = accounts.find_user(connection, name)
        if name in roles:
            accounts.set_role(engine, TESTER, project, user.id, roles[name])
        secret, info = accounts.create_token(engine, user.id, "matrix")
        tokens[name], token_ids[name], user_ids[name] = secret, info.id, user.id
    tasks = _hold_tasks(engine, project)
    for name in PEOPLE[2:]:  # a judgement of each member's to withdraw
        ranking = [[f"{PREFERENCE}.c2"], [f"{PREFERENCE}.c1"]]
        put_judgement(engine, project, PREFERENCE, Verdict(ranking=ranking), Actor(name))
    asked = _escalations(engine, project)
    catch_up(engine, project)
    with engine.connect() as connection:
        job = connection.execute(select(jobs.c.id)).scalars().first()
        finding = project_findings(connection, project, limit=1).items[0].id
        revisions = {
            BOX: connection.execute(
                select(annotations.c.revision).where(annotations.c.id == BOX)
            ).scalar_one(),
            TRACK: connection.execute(
                select(annotations.c.revision).where(annotations.c.id == TRACK)
            ).scalar_one(),
            LINK: connection.execute(
                select(links.c.revision).where(links.c.id == LINK)
            ).scalar_one(),
            ENTITY: connection.execute(
                select(entities.c.revision).where(entities.c.id == ENTITY)
            ).scalar_one(),
            SAMPLE: sample_revision(connection, SAMPLE),
        }
    engine.dispose()
    assert job is not None
    yield World(path, project, tokens, token_ids, user_ids, job, revisions, tasks, asked, finding)


def _hold_tasks(engine: Engine, project: str) -> dict[str, str]:
    """A workflow over the demo and a task held by each member: ada an annotate slot
    (the others handed in), grace, mona, adam and admin a review slot each."""
    set_workflow(engine, TESTER, project, Workflow(stages=(AnnotateStage(), ReviewStage())))
    assert enqueue(engine, TESTER, project) == 6
    access = {}
    with engine.connect() as connection:
        for name in ("ada", "grace", "mona", "adam", "admin"):
            user = accounts.find_user(connection, name)
            role = role_in(user.principal(), accounts.membership(connection, project, user.id))
            access[name] = Access(user.principal(), project, role)
    for _ in range(4):
        task = next_task(engine, Actor("ada"), access["ada"], ("annotate",))
        assert task is not None
        submit_task(engine, Actor("ada"), access["ada"], task.id)
    held = {}
    for name, stage in [("ada", "annotate")] + [(n, "review") for n in list(access)[1:]]:
        task = next_task(engine, Actor(name), access[name], (stage,))
        assert task is not None
        held[name] = task.id
    return held


def _escalations(engine: Engine, project: str) -> dict[str, str]:
    """Questions about the sample: one each member asked (theirs to withdraw), one still
    ``open`` (to answer) and one ``answered`` (to clarify)."""
    asked = {}
    with engine.connect() as connection:
        for name in ("ada", "grace", "mona", "adam", "admin"):
            user = accounts.find_user(connection, name)
            role = role_in(user.principal(), accounts.membership(connection, project, user.id))
            access = Access(user.principal(), project, role)
            blind = connection.execute(
                select(assignments.c.blind).where(
                    assignments.c.sample_id == SAMPLE, assignments.c.user_id == user.id
                )
            ).scalar_one_or_none()
            mine = None if blind is None else Assignment(SAMPLE, user.id, bool(blind))
            for key in (name, "open", "answered") if name == "ada" else (name,):
                question = f"{key}: is the helmet part of the person?"
                asked[key] = ask(engine, Actor(name), access, mine, SAMPLE, question=question).id
            if name == "grace":
                answer(engine, Actor(name), access, asked["answered"], text="Yes.")
    return asked


def _ontology() -> dict[str, Any]:
    return load_ontology_file(DEMO_ONTOLOGY).model_dump(mode="json", exclude_none=True)


def request_for(operation: str, world: World, person: str) -> dict[str, Any]:
    """The path parameters, headers and body of a valid request to `operation`."""
    rev = world.revisions
    tag = {name: {"If-Match": f'"{value}"'} for name, value in rev.items()}
    box = {"type": "box", "x": 1, "y": 1, "w": 5, "h": 5}
    held = world.tasks.get(person, world.tasks["ada"])  # the task the person holds
    table: dict[str, dict[str, Any]] = {
        "login": {"json": {"name": "ada", "password": DEMO_PASSWORD}},
        "logout": {},
        "me": {},
        "my_assignments": {},
        "list_my_tokens": {},
        "create_my_token": {"json": {"name": "another"}},
        "revoke_my_token": {"path": {"token_id": world.token_ids.get(person, "none")}},
        "list_users": {},
        "create_user": {"json": {"name": "newcomer"}},
        "update_user": {
            "path": {"user_id": world.user_ids["ada"]},
            "json": {"display_name": "Ada"},
        },
        "healthz": {},
        "sample_at": {"query": {"t": "4.0"}},
        "sample_overlap": {
            "query": {"stream": STREAM, "target": "slideshow.narration", "start": 0, "stop": 5}
        },
        "put_stream_clock": {"json": {"rate": "25"}},
        "align_sample_audio": {"json": {"reference": STREAM, "stream": "slideshow.narration"}},
        "prepare_media": {},
        "stream_peaks": {"path": {"stream_id": "slideshow.narration"}},
        "stream_frames": {},
        "stream_thumbnails": {},
        "stream_thumbnail_sheet": {},
        "submit_project_job": {"json": {"kind": "probe", "params": {}}},
        "project_jobs": {},
        "job_status": {},
        "job_log": {},
        "cancel_project_job": {},
        "retry_project_job": {},
        "job_files": {},
        "job_file": {"path": {"name": "samples-00000.jsonl"}},
        "upload_import": {
            "content": b'{"id": "uploaded"}\n',
            "headers": {"Content-Type": "application/x-ndjson"},
        },
        "list_formats": {},
        "list_proposers": {},
        "propose": {
            "json": {"proposer": "webrtc-vad", "stream": STREAM, "label": "speech"},
        },
        "decide": {"headers": tag[BOX], "json": {"decision": "accept"}},
        "candidate_metrics": {},
        "upload_format_import": {
            "query": {"format": "webvtt", "filename": "cues.vtt", "default_label": "speech"},
            "content": b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n",
            "headers": {"Content-Type": "application/octet-stream"},
        },
        "track_proposals": {"path": {"annotation_id": TRACK}},
        "add_track_keyframe": {
            "path": {"annotation_id": TRACK},
            "json": {"frame": 30, "expected_revision": rev[TRACK]},
        },
        "annotation_projection": {"query": {"stream": "slideshow.still-1"}},
        "media": {},
        "media_head": {},
        "login_page": {},
        "site_root": {},
        "app_shell": {},
        "app_file": {"path": {"path": "s/slideshow"}},
        "list_projects": {},
        "create_project": {"json": {"name": "second", "ontology": _ontology()}},
        "get_project": {},
        "get_ontology": {},
        "list_ontology_versions": {},
        "migrate_project_ontology": {
            "headers": {"If-Match": '"1"'},
            "json": {"operations": [{"op": "add_class", "class": {"name": "tree"}}]},
        },
        "list_samples": {},
        "get_sample": {},
        "update_sample": {"headers": tag[SAMPLE], "json": {"status": "review"}},
        "list_sample_streams": {},
        "get_stream": {},
        "get_review_queue": {},
        "get_object_history": {"path": {"object_id": BOX}},
        "get_sample_review": {},
        "review_sample": {
            "headers": tag[SAMPLE],
            "json": {
                "decisions": [{"annotation": BOX, "decision": "accepted"}],
                "verdict": {"decision": "rejected", "reason": "label the flag"},
            },
        },
        "list_members": {},
        "set_member_role": {"path": {"user": "ada"}, "json": {"role": "reviewer"}},
        "remove_member": {"path": {"user": "ada"}},
        "list_assignments": {},
        "assign_sample": {"path": {"user": "grace"}, "json": {"blind": False}},
        "unassign_sample": {"path": {"user": "ada"}},
        "create_annotation": {
            "json": {"stream": "slideshow.still-1", "label": "person", "geometry": box}
        },
        "submit_sample_work": {
            "headers": tag[SAMPLE],
            "json": {"annotations": [], "entities": [], "links": []},
        },
        "get_annotation": {},
        "update_annotation": {"headers": tag[BOX], "json": {"label": "person"}},
        "delete_annotation": {"headers": tag[BOX]},
        "create_link": {
            "json": {"type": "refers-to", "source": "slideshow.mention-2", "target": BOX}
        },
        "get_link": {},
        "update_link": {"headers": tag[LINK], "json": {"attributes": {"note": "x"}}},
        "delete_link": {"headers": tag[LINK]},
        "confirm_link": {"headers": tag[LINK]},
        "reject_link": {"headers": tag[LINK]},
        "create_entity": {"json": {"members": ["slideshow.mention-2"]}},
        "get_entity": {},
        "update_entity": {"headers": tag[ENTITY], "json": {"label": "person"}},
        "delete_entity": {"headers": tag[ENTITY]},
        "get_workflow": {},
        "put_workflow": {"json": {"stages": [{"kind": "annotate"}]}},
        "enqueue_tasks": {"json": {}},
        "set_task_priorities": {"json": {"priorities": {"portrait": 2.0}}},
        "list_tasks": {},
        "next_task": {},
        "submit_task": {"path": {"task_id": held}},
        "release_task": {"path": {"task_id": held}},
        "review_task": {"path": {"task_id": held}, "json": {"decision": "accepted"}},
        "get_member_skills": {"path": {"user": "ada"}},
        "put_member_skills": {"path": {"user": "ada"}, "json": {"skills": ["language:de"]}},
        "list_gold": {},
        "mark_gold": {"path": {"purpose": "audit"}, "json": {}},
        "unmark_gold": {"path": {"purpose": "audit"}},
        "list_gold_results": {},
        "list_qualifications": {},
        "escalate_sample": {"json": {"question": "Is a reflection a person?"}},
        "list_sample_escalations": {},
        "list_project_escalations": {"query": {"status": "open"}},
        "answer_escalation": {
            "path": {"escalation_id": world.escalations["open"]},
            "json": {"answer": "No."},
        },
        "withdraw_escalation": {
            "path": {"escalation_id": world.escalations.get(person, world.escalations["ada"])}
        },
        "annotator_metrics": {"query": {"since": 0}},
        "annotator_metrics_of": {"path": {"user": "ada"}},
        "list_checks": {},
        "list_project_findings": {"query": {"status": "open"}},
        "get_findings_summary": {},
        "get_quality_report": {},
        "get_quality_report_page": {},
        "get_preference_report": {"query": {"format": "html"}},
        "put_judgement": {
            "path": {"sample_id": PREFERENCE},
            "json": {"ranking": [[f"{PREFERENCE}.c2"]], "rationale": "The cup is red."},
        },
        "withdraw_judgement": {"path": {"sample_id": PREFERENCE}},
        "list_judgements": {"path": {"sample_id": PREFERENCE}},
        "list_sample_findings": {},
        "update_finding": {
            "path": {"finding_id": world.finding},
            "headers": {"If-Match": '"1"'},
            "json": {"status": "waived", "reason": "the demo shows it on purpose"},
        },
        "run_project_checks": {"json": {"checks": ["stale-links"]}},
        "clarify_escalation": {
            "path": {"escalation_id": world.escalations["answered"]},
            "json": {"class": "person", "expected_version": 1},
        },
    }
    if operation not in table:
        raise AssertionError(f"route {operation!r} has no request in the matrix: add one")
    found = dict(table[operation])
    found["path"] = {
        "project": world.project,
        "sample_id": SAMPLE,
        "stream_id": STREAM,
        "annotation_id": BOX,
        "link_id": LINK,
        "entity_id": ENTITY,
        "job_id": world.job,
        **found.get("path", {}),
    }
    return found


@dataclass(frozen=True)
class Route:
    """One operation of the OpenAPI document."""

    operation: str
    method: str
    path: str
    rule: str


def _routes() -> list[Route]:
    app = create_app(make_engine("sqlite://"), Settings())
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, spec in operations.items():
            found.append(
                Route(spec["operationId"], method.upper(), path, spec.get("x-rosetta-policy", ""))
            )
    return found


ROUTES = _routes()


class Store:
    """A copy of the template store and an app over it; copied again when asked."""

    def __init__(self, world: World, folder: Path) -> None:
        self.world = world
        self.folder = folder
        self.count = 0
        self.engine: Engine | None = None
        self.client: TestClient | None = None
        self.fresh()

    def fresh(self) -> TestClient:
        self.close()
        self.count += 1
        path = self.folder / f"copy-{self.count}.db"
        shutil.copy(self.world.path, path)
        self.engine = make_engine(f"sqlite:///{path}")
        settings = Settings(media_roots=(MEDIA_DIR,), data_dir=self.folder / "data", job_workers=0)
        self.client = TestClient(create_app(self.engine, settings), follow_redirects=False)
        return self.client

    def events(self) -> int:
        assert self.engine is not None
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(events)).scalar_one())

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


def test_every_route_declares_a_known_policy() -> None:
    undeclared = [f"{r.method} {r.path}" for r in ROUTES if r.rule not in POLICIES]
    assert not undeclared, f"routes without x-rosetta-policy: {undeclared}"
    assert len(ROUTES) >= 60


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.method} {r.path}" for r in ROUTES])
def test_each_person_is_admitted_or_refused_as_the_policy_says(
    route: Route, world: World, tmp_path: Path
) -> None:
    store = Store(world, tmp_path)
    client = store.client
    assert client is not None
    mutating = route.method not in {"GET", "HEAD"}
    try:
        for person in PEOPLE:
            given = request_for(route.operation, world, person)
            headers = dict(given.get("headers", {}))
            if person != "anonymous":
                headers["Authorization"] = f"Bearer {world.tokens[person]}"
            before = store.events()
            response = client.request(
                route.method,
                route.path.format(**given["path"]),
                params=given.get("query"),
                json=given.get("json"),
                content=given.get("content"),
                headers=headers,
            )
            where = f"{route.method} {route.path} as {person}: {response.status_code} {response.text[:300]}"
            if route.rule in ADMITS[person]:
                allowed = {401, 403} | ({404} if route.operation not in NOT_THERE else set())
                assert response.status_code not in allowed, where
                assert response.status_code < 500, where
                if mutating:
                    client = store.fresh()
            else:
                expected = {401} if person == "anonymous" else {403, 404}
                assert response.status_code in expected, where
                assert route.method == "HEAD" or orjson.loads(response.content)["error"][
                    "type"
                ] in {
                    "not_authenticated",
                    "permission_denied",
                    "not_found",
                }, where
                assert store.events() == before, f"{where}: a refused call wrote events"
    finally:
        store.close()


def test_a_media_grant_reads_its_stream_and_opens_nothing_else(
    world: World, tmp_path: Path
) -> None:
    """No session, only a media grant: its stream's media (200), another stream's 403, an
    expired grant 401, and every other route refused as without credentials."""
    store = Store(world, tmp_path)
    assert store.engine is not None and store.client is not None
    client = store.client
    live = grant(store.engine, TESTER, [STREAM], ttl=60, purpose="matrix")[STREAM]
    old = time.time() - 3600
    expired = grant(store.engine, TESTER, [STREAM], ttl=60, purpose="matrix", now=old)[STREAM]
    try:
        for method in ("GET", "HEAD"):
            media = f"/media/{STREAM}"
            assert client.request(method, media, params={"grant": live}).status_code == 200
            other = client.request(method, "/media/slideshow.narration", params={"grant": live})
            assert other.status_code == 403
            assert client.request(method, media, params={"grant": expired}).status_code == 401
        before = store.events()
        for route in ROUTES:
            if route.rule == "public" or route.path == "/media/{stream_id}":
                continue
            given = request_for(route.operation, world, "anonymous")
            response = client.request(
                route.method,
                route.path.format(**given["path"]),
                params={**given.get("query", {}), "grant": live},
                json=given.get("json"),
                content=given.get("content"),
                headers=given.get("headers", {}),
            )
            assert response.status_code == 401, f"{route.method} {route.path} with a grant"
        assert store.events() == before
    finally:
        store.close()
