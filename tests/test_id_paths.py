"""Ids are path segments of the API's URLs: a client-given id with '/' or a control
character is refused (422 naming the field), never stored where no URL can reach it."""

import pytest
from sqlalchemy import Engine

from api_clients import client_as
from builders import empty_sample
from rosetta.core.schema import Project

BOX = {"type": "box", "x": 1, "y": 1, "w": 2, "h": 2}


@pytest.mark.parametrize("bad", ["a/b", "a\nb", ".."])
def test_a_new_id_that_no_url_can_name_is_refused(
    engine: Engine, project: Project, bad: str
) -> None:
    empty_sample(engine, project.id, "s1")
    with client_as(engine) as client:
        for path, body in (
            ("annotations", {"stream": "s1-image", "label": "person", "geometry": BOX}),
            ("links", {"type": "refers-to", "source": "x", "target": "y"}),
            ("entities", {}),
        ):
            refused = client.post(f"/api/samples/s1/{path}", json={"id": bad, **body})
            assert refused.status_code == 422, (path, refused.text)
            assert refused.json()["error"]["errors"][0]["where"] == "body.id"
        assert client.get("/api/samples/s1").json()["annotations"] == []
