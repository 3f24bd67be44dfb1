"""Samples over HTTP as each role sees them: the filtered keyset listing, one whole sample
with its ETag, streams; annotators see only what is assigned to them and, on blind and gold
samples, only their own work."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event, update

from api_clients import client_as
from builders import box, insert_sample, span, streams_of
from conftest import TESTER
from rosetta.core.ontology import Ontology
from rosetta.core.policies import Access, Principal, Role
from rosetta.core.schema import Entity, Link, Project, Sample, SampleStatus
from rosetta.services import accounts, catalog
from rosetta.services.catalog import sample_revision
from rosetta.services.editing import create_annotation
from rosetta.services.projects import create_project
from rosetta.store.records import load_sample
from rosetta.store.tables import samples

ROLES = {"ann": Role.ANNOTATOR, "bob": Role.ANNOTATOR, "rev": Role.REVIEWER}
#: The samples of the scene and how "ann" is assigned to each (None: not at all).
ASSIGNED = {"open": False, "blind": True, "gold": False, "free": None}


def worked_sample(
    sample_id: str, *, status: SampleStatus = "new", streams: int = 4, stale: bool = True
) -> Sample:
    """A sample with ann's span, bob's box, two entities of ann (one holding bob's box),
    and three links: ann's between her own work, ann's to bob's box (stale), bob's."""
    mine = span(f"{sample_id}.mine", sample_id, 3, 12).model_copy(update={"author": "ann"})
    theirs = box(f"{sample_id}.theirs", sample_id, "cat").model_copy(update={"author": "bob"})
    return Sample(
        id=sample_id,
        status=status,
        streams=streams_of(sample_id)[:streams],
        annotations=[mine, theirs],
        entities=[
            Entity(id=f"{sample_id}.e-mine", members=[mine.id], author="ann"),
            Entity(id=f"{sample_id}.e-both", members=[mine.id, theirs.id], author="ann"),
        ],
        links=[
            Link(
                id=f"{sample_id}.l-mine",
                type="refers-to",
                source=mine.id,
                target=f"{sample_id}.e-mine",
                author="ann",
            ),
            Link(
                id=f"{sample_id}.l-cross",
                type="refers-to",
                source=mine.id,
                target=theirs.id,
                author="ann",
                status="stale" if stale else "confirmed",
            ),
            Link(
                id=f"{sample_id}.l-theirs",
                type="refers-to",
                source=theirs.id,
                target=mine.id,
                author="bob",
            ),
        ],
    )


@pytest.fixture
def clients(engine: Engine, project: Project) -> Iterator[dict[str, TestClient]]:
    """Clients of ann, bob (annotators), rev (reviewer) and a site admin over the scene:
    the samples of `ASSIGNED`, "gold" a gold sample."""
    made = {
        name: client_as(engine, name, admin=False, project_id=project.id, role=role)
        for name, role in ROLES.items()
    }
    made["admin"] = client_as(engine, "root")
    for sample_id in ASSIGNED:
        insert_sample(engine, project.id, worked_sample(sample_id))
    with engine.begin() as connection:
        connection.execute(update(samples).where(samples.c.id == "gold").values(gold=True))
    with engine.connect() as connection:
        ann = accounts.find_user(connection, "ann").id
    for sample_id, blind in ASSIGNED.items():
        if blind is not None:
            accounts.assign(engine, TESTER, sample_id, ann, blind=blind)
    yield made
    for client in made.values():
        client.close()


def _listing(client: TestClient, project: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of the listing, page by page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        after = {} if cursor is None else {"cursor": cursor}
        response = client.get(f"/api/projects/{project}/samples", params={**params, **after})
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


def _ids(client: TestClient, project: str, **params: Any) -> list[str]:
    return [item["id"] for item in _listing(client, project, **params)]


def _work(body: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    return (
        [a["id"].split(".")[1] for a in body["annotations"]],
        [e["id"].split(".")[1] for e in body["entities"]],
        [x["id"].split(".")[1] for x in body["links"]],
    )


EVERYTHING = (["mine", "theirs"], ["e-mine", "e-both"], ["l-mine", "l-cross", "l-theirs"])
OWN = (["mine"], ["e-mine"], ["l-mine"])


def test_an_annotator_lists_only_the_samples_assigned_to_them_with_what_they_see(
    clients: dict[str, TestClient], project: Project
) -> None:
    listed = {item["id"]: item for item in _listing(clients["ann"], project.name)}
    counts = {
        ident: (item["annotations"], item["links"], item["stale_links"])
        for ident, item in listed.items()
    }
    assert counts == {"open": (2, 3, 1), "blind": (1, 1, 0), "gold": (1, 1, 0)}
    assert _ids(clients["bob"], project.name) == []
    reviewed = _listing(clients["rev"], project.name)
    assert [(item["id"], item["annotations"], item["links"]) for item in reviewed] == [
        (ident, 2, 3) for ident in ASSIGNED
    ]
    assert reviewed[0]["modalities"] == ["text", "image", "audio", "video"]


@pytest.mark.parametrize(
    ("sample_id", "seen"),
    [("open", EVERYTHING), ("blind", OWN), ("gold", OWN)],
)
def test_blind_and_gold_samples_hide_everyone_elses_work_from_an_annotator(
    clients: dict[str, TestClient], sample_id: str, seen: tuple[list[str], ...]
) -> None:
    response = clients["ann"].get(f"/api/samples/{sample_id}")
    assert response.status_code == 200, response.text
    assert _work(response.json()) == seen
    assert _work(clients["rev"].get(f"/api/samples/{sample_id}").json()) == EVERYTHING


def test_only_reviewers_and_above_learn_which_samples_are_gold(
    clients: dict[str, TestClient], project: Project
) -> None:
    for name in ("rev", "admin"):
        gold = {item["id"]: item["gold"] for item in _listing(clients[name], project.name)}
        assert gold == {"open": False, "blind": False, "gold": True, "free": False}, name
    told = {item["id"]: item["gold"] for item in _listing(clients["ann"], project.name)}
    assert told == {"open": False, "blind": False, "gold": False}


def test_listing_counts_are_what_the_sample_shows(
    clients: dict[str, TestClient], project: Project
) -> None:
    for name in ("ann", "rev"):
        for item in _listing(clients[name], project.name):
            body = clients[name].get(f"/api/samples/{item['id']}").json()
            stale = [x for x in body["links"] if x["status"] == "stale"]
            assert (item["annotations"], item["links"], item["stale_links"]) == (
                len(body["annotations"]),
                len(body["links"]),
                len(stale),
            )


def test_an_annotator_gets_404_for_samples_and_streams_not_assigned_to_them(
    clients: dict[str, TestClient],
) -> None:
    for path in ("/api/samples/free", "/api/samples/free/streams", "/api/streams/free-text"):
        response = clients["ann"].get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["type"] == "not_found"
        assert clients["rev"].get(path).status_code == 200
    assert clients["bob"].get("/api/samples/open").status_code == 404


def test_streams_of_a_sample_and_one_stream(engine: Engine, clients: dict[str, TestClient]) -> None:
    with engine.connect() as connection:
        stored = load_sample(connection, "open").streams
    listed = clients["ann"].get("/api/samples/open/streams").json()
    assert listed == [stream.model_dump(mode="json", exclude_none=True) for stream in stored]
    one = clients["ann"].get("/api/streams/open-video").json()
    assert one["media"] == {"width": 320, "height": 240, "duration": 9.76, "frame_rate": "25/1"} | {
        "frame_count": 244
    }
    assert clients["ann"].get("/api/streams/nope").status_code == 404


def test_the_etag_is_the_sample_revision_and_moves_with_a_write(
    engine: Engine, clients: dict[str, TestClient], project: Project
) -> None:
    first = clients["ann"].get("/api/samples/open").headers["etag"]
    with engine.connect() as connection:
        assert first == f'"{sample_revision(connection, "open")}"'
    create_annotation(engine, project.id, "open", box("open.more", "open", "cup"), TESTER)
    second = clients["ann"].get("/api/samples/open").headers["etag"]
    with engine.connect() as connection:
        assert second == f'"{sample_revision(connection, "open")}"'
    assert int(second.strip('"')) > int(first.strip('"'))


def test_a_sample_names_its_project_in_a_link(
    clients: dict[str, TestClient], project: Project
) -> None:
    link = clients["ann"].get("/api/samples/open").headers["link"]
    assert link == f'</api/projects/{project.id}>; rel="project"'
    assert clients["ann"].get(link[1 : link.index(">")]).json()["id"] == project.id


def test_if_none_match_with_the_current_etag_is_304_without_a_body(
    engine: Engine, clients: dict[str, TestClient], project: Project
) -> None:
    first = clients["ann"].get("/api/samples/open")
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    for held in (tag, f'"1", W/{tag}', "*"):
        unchanged = clients["ann"].get("/api/samples/open", headers={"If-None-Match": held})
        assert unchanged.status_code == 304, held
        assert unchanged.content == b""
        assert unchanged.headers["etag"] == tag
    # no answer about a sample the caller may not read, whatever they hold
    refused = clients["bob"].get("/api/samples/open", headers={"If-None-Match": "*"})
    assert refused.status_code == 404
    create_annotation(engine, project.id, "open", box("open.more", "open", "cup"), TESTER)
    changed = clients["ann"].get("/api/samples/open", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != tag
    assert "more" in _work(changed.json())[0]


def test_members_of_one_project_get_404_on_anothers(
    engine: Engine, clients: dict[str, TestClient], demo_ontology: Ontology
) -> None:
    other = create_project(engine, "elsewhere", demo_ontology, TESTER)
    insert_sample(engine, other.id, worked_sample("far"))
    for name in ("ann", "rev"):
        for path in (
            "/api/samples/far",
            "/api/samples/far/streams",
            "/api/streams/far-text",
            "/api/projects/elsewhere",
            "/api/projects/elsewhere/samples",
            f"/api/projects/{other.id}/ontology",
            "/api/projects/elsewhere/review",
            "/api/objects/far.mine/history",
        ):
            response = clients[name].get(path)
            assert response.status_code == 404, (name, path)
            assert response.json()["error"]["type"] == "not_found"
    error = clients["ann"].get("/api/projects/elsewhere").json()["error"]
    assert (error["kind"], error["id"]) == ("project", "elsewhere")  # not its id
    assert _ids(clients["admin"], "elsewhere") == ["far"]
    assert "far" not in _ids(clients["admin"], "test-project")


@pytest.fixture
def varied(engine: Engine, project: Project) -> Iterator[TestClient]:
    """A reviewer over six samples that differ in status, streams, work and stale links:
    a (new), b (review, text and image only), c (review, no stale link), d (done, no
    work), e (new, only bob's box), f (new, text and image only)."""
    insert_sample(engine, project.id, worked_sample("a", status="new"))
    insert_sample(engine, project.id, worked_sample("b", status="review", streams=2))
    insert_sample(engine, project.id, worked_sample("c", status="review", stale=False))
    insert_sample(engine, project.id, Sample(id="d", status="done", streams=streams_of("d")))
    bobs = box("e.theirs", "e", "cat").model_copy(update={"author": "bob"})
    insert_sample(engine, project.id, Sample(id="e", streams=streams_of("e"), annotations=[bobs]))
    insert_sample(engine, project.id, worked_sample("f", status="new", streams=2))
    with client_as(engine, "rev", admin=False, project_id=project.id, role=Role.REVIEWER) as c:
        yield c


@pytest.fixture(
    params=[(catalog.RARE, catalog.SCAN), (0, catalog.SCAN), (0, 2)],
    ids=["rare-filters-drive", "probe-every-sample", "probe-two-samples-a-page"],
)
def plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each way a filtered page is read: driven by a rare filter (every filter is rare
    here), or by probing samples in order, all in one page or two samples a page (short
    pages that go on)."""
    monkeypatch.setattr(catalog, "RARE", request.param[0])
    monkeypatch.setattr(catalog, "SCAN", request.param[1])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, "abcdef"),
        ({"status": "review"}, "bc"),
        ({"status": "in_progress"}, ""),
        ({"modality": "image"}, "abcdef"),
        ({"modality": "video"}, "acde"),
        ({"label": "cat"}, "abcef"),
        ({"label": "person"}, "abcf"),
        ({"label": "nothing"}, ""),
        ({"annotator": "ann"}, "abcf"),
        ({"annotator": "bob"}, "abcef"),
        ({"stale": "true"}, "abf"),
        ({"stale": "false"}, "cde"),
        ({"status": "new", "label": "person"}, "af"),
        ({"status": "new", "modality": "video", "stale": "true"}, "a"),
        ({"annotator": "bob", "stale": "false", "modality": "audio"}, "ce"),
    ],
)
@pytest.mark.usefixtures("plan")
def test_filters_combine_with_and(
    varied: TestClient, project: Project, params: dict[str, str], expected: str
) -> None:
    assert "".join(_ids(varied, project.id, limit=2, **params)) == expected


@pytest.mark.usefixtures("plan")
def test_filters_see_only_the_work_the_caller_sees(
    clients: dict[str, TestClient], project: Project
) -> None:
    ann = clients["ann"]
    assert _ids(ann, project.name, label="cat") == ["open"]
    assert _ids(ann, project.name, annotator="bob") == ["open"]
    assert _ids(ann, project.name, annotator="ann") == ["open", "blind", "gold"]
    assert _ids(ann, project.name, stale="true") == ["open"]
    assert _ids(ann, project.name, stale="false") == ["blind", "gold"]
    assert _ids(clients["rev"], project.name, stale="true") == list(ASSIGNED)


def test_bad_filters_name_the_parameter(varied: TestClient, project: Project) -> None:
    for params, where in (
        ({"status": "finished"}, "query.status"),
        ({"modality": "smell"}, "query.modality"),
        ({"stale": "maybe"}, "query.stale"),
        ({"limit": "501"}, "query.limit"),
    ):
        response = varied.get(f"/api/projects/{project.id}/samples", params=params)
        assert response.status_code == 422
        assert [e["where"] for e in response.json()["error"]["errors"]] == [where]


def test_pages_neither_repeat_nor_skip_and_stay_stable_under_inserts(
    engine: Engine, varied: TestClient, project: Project
) -> None:
    path = f"/api/projects/{project.id}/samples"
    first = varied.get(path, params={"limit": 4}).json()
    assert [item["id"] for item in first["items"]] == ["a", "b", "c", "d"]
    insert_sample(engine, project.id, worked_sample("0-new"))  # sorts first by id, last by pk
    second = varied.get(path, params={"limit": 4, "cursor": first["next_cursor"]}).json()
    assert [item["id"] for item in second["items"]] == ["e", "f", "0-new"]
    assert second["next_cursor"] is None
    exact = varied.get(path, params={"limit": 7}).json()
    assert len(exact["items"]) == 7 and exact["next_cursor"] is None


def test_a_page_that_probes_stops_after_scan_samples_and_goes_on(
    varied: TestClient, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog, "RARE", 0)
    monkeypatch.setattr(catalog, "SCAN", 3)
    path = f"/api/projects/{project.id}/samples"
    first = varied.get(path, params={"stale": "false"}).json()  # a b c: only c
    assert [item["id"] for item in first["items"]] == ["c"] and first["next_cursor"]
    second = varied.get(path, params={"stale": "false", "cursor": first["next_cursor"]}).json()
    assert [item["id"] for item in second["items"]] == ["d", "e"]  # d e f probed
    third = varied.get(path, params={"stale": "false", "cursor": second["next_cursor"]}).json()
    assert third == {"items": [], "next_cursor": None}  # nothing was left to probe
    misused = varied.get("/api/objects/a.mine/history", params={"cursor": first["next_cursor"]})
    assert misused.status_code == 422
    assert misused.json()["error"]["field"] == "cursor"


def _plan(connection: Connection, statement: str, parameters: Any) -> str:
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in rows)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # the tables are tiny
    rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
    return "\n".join(str(row[0]) for row in rows)


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        (catalog.SampleFilters(), "ix_samples_project_id_pk"),
        (catalog.SampleFilters(label="cat"), "ix_annotations_project_id_label"),
        (catalog.SampleFilters(annotator="bob"), "ix_annotations_project_id_author"),
        (catalog.SampleFilters(stale=True), "ix_links_project_id_status"),
    ],
)
def test_a_page_is_read_through_the_index_of_its_order_or_its_rare_filter(
    engine: Engine, varied: TestClient, project: Project, filters: Any, index: str
) -> None:
    seen: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        seen.append((args[2], args[3]))

    access = Access(Principal("u", "rev"), project.id, Role.REVIEWER)
    with engine.connect() as connection:
        event.listen(engine, "before_cursor_execute", capture)
        try:
            catalog.browse_samples(connection, access, filters)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        page = next(s for s in seen if "FROM samples" in s[0] and "ORDER BY samples.pk" in s[0])
        plan = _plan(connection, *page)
    if engine.dialect.name == "sqlite" or not filters.probes():
        assert index in plan
    else:  # PostgreSQL's planner picks by its statistics; never by reading a whole table
        assert "Seq Scan" not in plan
