"""Annotations, entities and links one at a time: create, read, change, delete; confirm
or reject a link.

Every record carries its revision; a change or deletion names the revision it is based on
(``expected_revision``, usually ``record.revision``) and raises `ConflictError`, carrying
the record as it is now, when it changed since.
"""

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter

from rosetta.core.geometry import Geometry
from rosetta.core.schema import Annotation, Entity, Link, LinkStatus, Source
from rosetta.sdk.samples import record_json
from rosetta.sdk.transport import MethodGroup, if_match, segment

_ANNOTATION = TypeAdapter(Annotation)
_ENTITY = TypeAdapter(Entity)
_LINK = TypeAdapter(Link)


class Keep(Enum):
    """The value of an argument that leaves a field as it is where ``None`` means "none"."""

    KEEP = "keep"


#: Leave the field as it is.
KEEP = Keep.KEEP

GeometryLike = Geometry | Mapping[str, Any]


def _given(**fields: Any) -> dict[str, Any]:
    """The fields that are not ``None``, records and mappings as JSON objects."""
    return {
        name: record_json(value) if isinstance(value, BaseModel | Mapping) else value
        for name, value in fields.items()
        if value is not None
    }


class WorkMethods(MethodGroup):
    """Annotations, entities and links."""

    # --- annotations ----------------------------------------------------------------------

    def annotation(self, annotation_id: str) -> Annotation:
        """The annotation."""
        return self._http.parse(_ANNOTATION, "GET", f"/api/annotations/{segment(annotation_id)}")

    def create_annotation(
        self,
        sample_id: str,
        *,
        stream: str | None,
        label: str,
        geometry: GeometryLike,
        attributes: Mapping[str, Any] | None = None,
        source: Source | Mapping[str, Any] | None = None,
        id: str | None = None,
    ) -> Annotation:
        """Add an annotation by the caller to the sample, on `stream` (``None`` only for a
        classification of the whole sample); `id` defaults to a new one."""
        body = _given(
            id=id,
            stream=stream,
            label=label,
            geometry=geometry,
            attributes=attributes,
            source=source,
        )
        body.setdefault("stream", None)
        path = f"/api/samples/{segment(sample_id)}/annotations"
        return self._http.parse(_ANNOTATION, "POST", path, json=body)

    def update_annotation(
        self,
        annotation_id: str,
        expected_revision: int,
        *,
        label: str | None = None,
        geometry: GeometryLike | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> Annotation:
        """Change the annotation's label, geometry and/or attributes (``None``: keep); its
        confirmed links turn stale. The annotation after."""
        body = _given(
            label=label,
            geometry=geometry,
            attributes=attributes,
        )
        return self._http.parse(
            _ANNOTATION,
            "PATCH",
            f"/api/annotations/{segment(annotation_id)}",
            json=body,
            headers=if_match(expected_revision),
        )

    def delete_annotation(self, annotation_id: str, expected_revision: int) -> None:
        """Delete the annotation, the links touching it and its place in entities."""
        self._http.request(
            "DELETE",
            f"/api/annotations/{segment(annotation_id)}",
            headers=if_match(expected_revision),
        )

    # --- entities -------------------------------------------------------------------------

    def entity(self, entity_id: str) -> Entity:
        """The entity."""
        return self._http.parse(_ENTITY, "GET", f"/api/entities/{segment(entity_id)}")

    def create_entity(
        self,
        sample_id: str,
        *,
        members: Sequence[str],
        label: str | None = None,
        id: str | None = None,
    ) -> Entity:
        """Add an entity by the caller to the sample: annotations of it (`members`) that
        denote one thing; `id` defaults to a new one."""
        body = _given(id=id, label=label, members=list(members))
        path = f"/api/samples/{segment(sample_id)}/entities"
        return self._http.parse(_ENTITY, "POST", path, json=body)

    def update_entity(
        self,
        entity_id: str,
        expected_revision: int,
        *,
        label: str | Literal[Keep.KEEP] | None = KEEP,
        members: Sequence[str] | None = None,
    ) -> Entity:
        """Change the entity's label (``None`` removes it; `KEEP` by default) and/or
        members (``None``: keep); its confirmed links turn stale. The entity after."""
        body: dict[str, Any] = {} if label is KEEP else {"label": label}
        if members is not None:
            body["members"] = list(members)
        return self._http.parse(
            _ENTITY,
            "PATCH",
            f"/api/entities/{segment(entity_id)}",
            json=body,
            headers=if_match(expected_revision),
        )

    def delete_entity(self, entity_id: str, expected_revision: int) -> None:
        """Delete the entity and the links touching it; its members stay."""
        self._http.request(
            "DELETE", f"/api/entities/{segment(entity_id)}", headers=if_match(expected_revision)
        )

    # --- links ----------------------------------------------------------------------------

    def link(self, link_id: str) -> Link:
        """The link."""
        return self._http.parse(_LINK, "GET", f"/api/links/{segment(link_id)}")

    def create_link(
        self,
        sample_id: str,
        *,
        type: str,
        source: str,
        target: str,
        status: LinkStatus = "proposed",
        attributes: Mapping[str, Any] | None = None,
        id: str | None = None,
    ) -> Link:
        """Add a link of relation `type` by the caller from `source` to `target`
        (annotations or entities of the sample); only reviewers may add one other than
        ``proposed``. `id` defaults to a new one."""
        body = _given(
            id=id,
            type=type,
            source=source,
            target=target,
            status=status,
            attributes=attributes,
        )
        path = f"/api/samples/{segment(sample_id)}/links"
        return self._http.parse(_LINK, "POST", path, json=body)

    def update_link(
        self,
        link_id: str,
        expected_revision: int,
        *,
        type: str | None = None,
        source: str | None = None,
        target: str | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> Link:
        """Change the link's type, ends and/or attributes (``None``: keep); a confirmed or
        stale link goes back to ``proposed``. The link after."""
        body = _given(
            type=type,
            source=source,
            target=target,
            attributes=attributes,
        )
        return self._http.parse(
            _LINK,
            "PATCH",
            f"/api/links/{segment(link_id)}",
            json=body,
            headers=if_match(expected_revision),
        )

    def delete_link(self, link_id: str, expected_revision: int) -> None:
        """Delete the link; its ends stay."""
        self._http.request(
            "DELETE", f"/api/links/{segment(link_id)}", headers=if_match(expected_revision)
        )

    def confirm_link(self, link_id: str, expected_revision: int) -> Link:
        """Confirm the link (reviewers): it is checked anew and records its ends' current
        revisions. The link after."""
        return self._verdict(link_id, expected_revision, "confirm")

    def reject_link(self, link_id: str, expected_revision: int) -> Link:
        """Reject the link (reviewers); it stays, ``rejected``. The link after."""
        return self._verdict(link_id, expected_revision, "reject")

    def _verdict(self, link_id: str, expected_revision: int, verdict: str) -> Link:
        return self._http.parse(
            _LINK,
            "POST",
            f"/api/links/{segment(link_id)}/{verdict}",
            headers=if_match(expected_revision),
        )
