"""Write workCases.ts: whole-sample submissions as the real server answers them.

Builds the demo project in a temporary SQLite store, and through the real app (as the
reviewer ``grace``) reads the portrait sample, submits a series of edits, each as the work
store would send it, and records what was read, what was sent and what came back:
the sample after (200) or the conflict (409). Also records a real frame table. The
TypeScript work store (`../store.ts`) must send the same bodies and foresee the link
statuses the server sets; `serverCases.test.ts` replays them. Regenerate from the
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
            frames = client.get("/api/streams/slideshow.video/frames")
            assert frames.status_code == 200, frames.text
        engine.dispose()
    data = {"steps": steps, "frames": frames.json()}
    OUT.write_text(
        "// Generated by make_work_cases.py from the real app; do not edit.\n"
        'import type { WorkCases } from "./workCase";\n\n'
        f"export const CASES: WorkCases = {json.dumps(data, separators=(',', ':'))};\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
