"""Write workCases.ts: whole-sample submissions as the real server answers them.

Builds the demo project in a temporary SQLite store, and through the real app (as the
reviewer ``grace``) reads the portrait sample, submits a series of edits, each as the work
store would send it, and records what was read, what was sent and what came back:
the sample after (200) or the conflict (409). Then undo across saves: one edit saved, undone
and saved, redone and saved, each body built as the work store's undo and redo build it
(`../rebase.ts`: the step's editable fields on the objects as the server has them now, a
deleted object brought back as new), which the server must accept. Also records a real
frame table. The TypeScript work store (`../store.ts`) must send the same bodies and foresee
the link statuses the server sets; `serverCases.test.ts` replays them. Regenerate from the
repository root after a change to the submission rules:

    .venv/bin/python web/src/work/testdata/make_work_cases.py
"""

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from rosetta.api import create_app
from rosetta.demo.build import MEDIA_DIR, build_demo
from rosetta.services.accounts import create_token, find_user
from rosetta.services.settings import Settings
from rosetta.store.engine import open_store

OUT = Path(__file__).with_name("workCases.ts")
SAMPLE = "portrait"
Json = dict[str, Any]
Edit = list[Any]

#: Each step: a name and the store calls it makes, ``[method, *arguments]``.
STEPS: list[tuple[str, list[Edit]]] = [
    (
        "relabel a span: its confirmed link turns stale",
        [["updateAnnotation", "portrait.says-astronaut", {"label": "thing"}]],
    ),
    (
        "a reviewer confirms the stale link again",
        [["setLinkStatus", "portrait.mentions-astronaut", "confirmed"]],
    ),
    (
        "edit a confirmed link: it goes back to proposed",
        [["updateLink", "portrait.mentions-astronaut", {"attributes": {"note": "checked"}}]],
    ),
    (
        "confirm it again, and a confirmed link from the entity",
        [
            ["setLinkStatus", "portrait.mentions-astronaut", "confirmed"],
            [
                "addLink",
                {
                    "id": "web.the-astronaut-is",
                    "type": "same-as",
                    "source": "portrait.the-astronaut",
                    "target": "portrait.shuttle",
                    "status": "confirmed",
                },
            ],
        ],
    ),
    (
        "move the entity's box: the links of the box and of the entity turn stale",
        [
            [
                "updateAnnotation",
                "portrait.astronaut",
                {"geometry": {"type": "box", "x": 20, "y": 14, "w": 345, "h": 498}},
            ]
        ],
    ),
    (
        "delete a box: its link goes, its entity loses it",
        [["deleteAnnotation", "portrait.flag"]],
    ),
    (
        "add an annotation and a link to it",
        [
            [
                "addAnnotation",
                {
                    "id": "web.cup",
                    "stream": "portrait.photo",
                    "label": "cup",
                    "geometry": {"type": "box", "x": 200, "y": 300, "w": 40, "h": 50},
                },
            ],
            [
                "addLink",
                {
                    "id": "web.cup-link",
                    "type": "same-as",
                    "source": "web.cup",
                    "target": "portrait.shuttle",
                },
            ],
        ],
    ),
]


#: Each sequence: a name and one store call; it is saved, undone and saved, redone and saved.
SEQUENCES: list[tuple[str, Edit]] = [
    (
        "delete a box: undo brings it back with its link and its place in the entity",
        ["deleteAnnotation", "portrait.astronaut"],
    ),
    (
        "relabel a box: undo and redo on the revisions the saves gave it",
        ["updateAnnotation", "portrait.shuttle", {"label": "car"}],
    ),
    (
        "add a box: undo deletes it, redo creates it again with the same id",
        [
            "addAnnotation",
            {
                "id": "web.mug",
                "stream": "portrait.photo",
                "label": "cup",
                "geometry": {"type": "box", "x": 10, "y": 400, "w": 30, "h": 40},
            },
        ],
    ),
]

#: The fields a person edits (`../objects.ts` EDITABLE), and the value of one left out.
EDITABLE = {
    "annotations": ("label", "geometry", "attributes"),
    "entities": ("label", "members"),
    "links": ("type", "source", "target", "attributes", "status"),
}
DEFAULTS: Json = {"attributes": {}, "members": [], "label": None, "status": "proposed"}
WORK_KINDS = ("annotations", "entities", "links")


def apply(work: Json, edit: Edit) -> None:
    """What the work store does for one call (the server must accept the result)."""
    method, *args = edit
    annotations, entities, links = work["annotations"], work["entities"], work["links"]
    if method == "updateAnnotation":
        target = next(a for a in annotations if a["id"] == args[0])
        target.update(args[1])
    elif method == "deleteAnnotation":
        work["annotations"] = [a for a in annotations if a["id"] != args[0]]
        for entity in entities:
            entity["members"] = [m for m in entity.get("members", []) if m != args[0]]
        work["links"] = [lk for lk in links if args[0] not in (lk["source"], lk["target"])]
    elif method == "addAnnotation":
        annotations.append({"attributes": {}, **args[0], "revision": 1})
    elif method == "addLink":
        links.append({"attributes": {}, "status": "proposed", **args[0], "revision": 1})
    elif method == "updateLink":
        next(lk for lk in links if lk["id"] == args[0]).update(args[1])
    elif method == "setLinkStatus":
        next(lk for lk in links if lk["id"] == args[0])["status"] = args[1]
    else:
        raise ValueError(f"unknown edit {method!r}")


def editable(kind: str, item: Json) -> Json:
    """The editable fields of `item`, a left-out one as its default."""
    return {field: item.get(field, DEFAULTS.get(field)) for field in EDITABLE[kind]}


def revived(kind: str, item: Json) -> Json:
    """`item` brought back after the server deleted it: new, and a link proposed."""
    fresh = {**item, "revision": 1}
    if kind == "links":
        reset = (("status", "proposed"), ("source_revision", None), ("target_revision", None))
        for field, value in reset:
            if item.get(field, DEFAULTS.get(field)) != value:
                fresh[field] = value
    return fresh


def step_to(now: Json, before: Json, target: Json) -> Json:
    """The work `now` with a step from `before` to `target` made on it (an undo when
    `target` is the work before the step): the objects the step touched get the editable
    fields it changed as `target` has them, or go, or come back in their place in
    `target`."""
    out: Json = {}
    for kind in WORK_KINDS:
        was = {item["id"]: item for item in before[kind]}
        goal = {item["id"]: (index, item) for index, item in enumerate(target[kind])}
        changed: dict[str, list[str]] = {}
        for ident in {*was, *goal}:
            if ident not in was or ident not in goal:
                changed[ident] = []
                continue
            old, new = editable(kind, was[ident]), editable(kind, goal[ident][1])
            fields = [field for field in EDITABLE[kind] if old[field] != new[field]]
            if fields:
                changed[ident] = fields
        present = {item["id"] for item in now[kind]}
        items = []
        for item in now[kind]:
            ident = item["id"]
            if ident not in changed:
                items.append(item)
            elif ident in goal:
                source = goal[ident][1]
                made = {key: value for key, value in item.items() if key not in changed[ident]}
                made.update({field: source[field] for field in changed[ident] if field in source})
                items.append(made)
        for index, item in sorted(
            (index, item)
            for ident, (index, item) in goal.items()
            if ident in changed and ident not in present
        ):
            items.insert(index, revived(kind, item))
        out[kind] = items
    return out


def work_of(sample: Json) -> Json:
    """A copy of the annotations, entities and links of `sample`."""
    return {kind: copy.deepcopy(sample[kind]) for kind in WORK_KINDS}


def same_work(sample: Json, expected: Json) -> bool:
    """Whether `sample` holds the objects of `expected` and no others, with the same
    editable fields (a link's status aside: the server derives it)."""
    for kind in WORK_KINDS:
        mine = {item["id"]: editable(kind, item) for item in expected[kind]}
        theirs = {item["id"]: editable(kind, item) for item in sample[kind]}
        if kind == "links":
            for fields in (*mine.values(), *theirs.values()):
                del fields["status"]
        if mine != theirs:
            return False
    return True


def undo_sequence(client: TestClient, name: str, edit: Edit, read: Json, etag: str) -> Json:
    """`edit` saved, undone and saved, redone and saved, as the work store makes them."""
    before = work_of(read)
    after = work_of(read)
    apply(after, edit)
    rounds: list[Json] = []
    now, now_etag = read, etag

    def save(edits: list[Edit], body: Json, target: Json) -> None:
        nonlocal now, now_etag
        answer = client.put(
            f"/api/samples/{SAMPLE}/annotations", json=body, headers={"If-Match": now_etag}
        )
        assert answer.status_code == 200, answer.text
        now, now_etag = answer.json()["sample"], answer.headers["ETag"]
        assert same_work(now, target), f"{name}: {edits[0][0]} did not reach its target"
        rounds.append(
            {"edits": edits, "body": body, "answer": answer.json(), "answerEtag": now_etag}
        )

    save([edit], after, after)
    save([["undo"]], step_to(work_of(now), after, before), before)
    save([["redo"]], step_to(work_of(now), before, after), after)
    return {"name": name, "read": read, "etag": etag, "rounds": rounds}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = open_store(f"sqlite:///{folder}/cases.db")
        build_demo(engine)
        with engine.connect() as connection:
            grace = find_user(connection, "grace")
        secret, _ = create_token(engine, grace.id, "cases")
        settings = Settings(media_roots=(MEDIA_DIR,), data_dir=Path(folder), job_workers=0)
        headers = {"Authorization": f"Bearer {secret}"}
        with TestClient(create_app(engine, settings), headers=headers) as client:
            steps = []
            first = client.get(f"/api/samples/{SAMPLE}")
            read, etag = first.json(), first.headers["ETag"]
            before_last = (read, etag)
            for name, edits in STEPS:
                before_last = (read, etag)
                body = {
                    kind: copy.deepcopy(read[kind]) for kind in ("annotations", "entities", "links")
                }
                for edit in edits:
                    apply(body, edit)
                answer = client.put(
                    f"/api/samples/{SAMPLE}/annotations", json=body, headers={"If-Match": etag}
                )
                assert answer.status_code == 200, answer.text
                steps.append(
                    {
                        "name": name,
                        "read": read,
                        "etag": etag,
                        "edits": edits,
                        "body": body,
                        "status": 200,
                        "answer": answer.json(),
                        "answerEtag": answer.headers["ETag"],
                    }
                )
                read, etag = answer.json()["sample"], answer.headers["ETag"]
            # someone submits on the sample as it was before the last step: a conflict
            old, old_etag = before_last
            edits = [["updateAnnotation", "portrait.shuttle", {"label": "car"}]]
            body = {kind: copy.deepcopy(old[kind]) for kind in ("annotations", "entities", "links")}
            for edit in edits:
                apply(body, edit)
            answer = client.put(
                f"/api/samples/{SAMPLE}/annotations", json=body, headers={"If-Match": old_etag}
            )
            assert answer.status_code == 409, answer.text
            steps.append(
                {
                    "name": "submit on an old revision: a conflict",
                    "read": old,
                    "etag": old_etag,
                    "edits": edits,
                    "body": body,
                    "status": 409,
                    "answer": answer.json(),
                    "answerEtag": None,
                }
            )
            sequences = []
            for name, edit in SEQUENCES:
                sequences.append(undo_sequence(client, name, edit, read, etag))
                last = sequences[-1]["rounds"][-1]
                read, etag = last["answer"]["sample"], last["answerEtag"]
            frames = client.get("/api/streams/slideshow.video/frames")
            assert frames.status_code == 200, frames.text
        engine.dispose()
    data = {"steps": steps, "sequences": sequences, "frames": frames.json()}
    # the demo's media URIs are absolute paths of this checkout: the same cases elsewhere
    cases = json.dumps(data, separators=(",", ":")).replace(f"{MEDIA_DIR}/", "demo-media/")
    OUT.write_text(
        "// Generated by make_work_cases.py from the real app; do not edit.\n"
        'import type { WorkCases } from "./workCase";\n\n'
        f"export const CASES: WorkCases = {cases};\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
