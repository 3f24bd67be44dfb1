"""Samples and streams; writes to a whole sample; the review queue and history."""

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
from pydantic import BaseModel, TypeAdapter

from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, Entity, Link, Sample, SampleStatus, Stream
from rosetta.sdk.errors import raise_for_error
from rosetta.sdk.models import (
    Decision,
    Event,
    FlaggedAnnotation,
    SampleHead,
    SampleReview,
    SampleSnapshot,
    SampleSummary,
    StaleLink,
    Submitted,
    Verdict,
)
from rosetta.sdk.pages import Page, Pages
from rosetta.sdk.transport import MethodGroup, if_match, revision_of, segment

_SUMMARIES = TypeAdapter(list[SampleSummary])
_SAMPLE = TypeAdapter(Sample)
_STREAM = TypeAdapter(Stream)
_STREAMS = TypeAdapter(list[Stream])
_HEAD = TypeAdapter(SampleHead)
_EVENTS = TypeAdapter(list[Event])
_STALE = TypeAdapter(list[StaleLink])
_FLAGGED = TypeAdapter(list[FlaggedAnnotation])
_REVIEW = TypeAdapter(SampleReview)


def record_json(record: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object of a record as the native format writes it (fields that are
    ``None`` left out); a mapping is taken as it is."""
    if isinstance(record, BaseModel):
        return record.model_dump(mode="json", exclude_none=True)
    return dict(record)


def _sample_path(sample_id: str) -> str:
    return f"/api/samples/{segment(sample_id)}"


def _snapshot(response: httpx.Response) -> SampleSnapshot:
    """The sample a ``GET /api/samples/{id}`` answered, its revision (``ETag``) and its
    project (``Link: </api/projects/<id>>; rel="project"``)."""
    return SampleSnapshot(
        _SAMPLE.validate_json(response.content), revision_of(response), _project_of(response)
    )


def _project_of(response: httpx.Response) -> str | None:
    """The project id in the response's ``Link: </api/projects/<id>>; rel="project"``."""
    project = response.links.get("project", {}).get("url")
    return None if project is None else unquote(project.rsplit("/", 1)[-1])


class SampleMethods(MethodGroup):
    """Reading samples and streams, writing whole samples, review and history."""

    def samples(
        self,
        project: str,
        *,
        label: str | None = None,
        modality: Modality | str | None = None,
        status: SampleStatus | None = None,
        annotator: str | None = None,
        stale: bool | None = None,
        page_size: int = 50,
    ) -> Pages[SampleSummary]:
        """Every sample of the project the caller may read that meets every filter given
        (has an annotation with `label`, a stream of `modality`, the `status`, an
        annotation by user `annotator`, stale links or none), in insertion order, read
        `page_size` at a time as iteration goes."""
        path = f"/api/projects/{segment(project)}/samples"
        filters = {
            "label": label,
            "modality": None if modality is None else Modality(modality).value,
            "status": status,
            "annotator": annotator,
            "stale": stale,
            "limit": page_size,
        }

        def fetch(cursor: str | None) -> Page[SampleSummary]:
            body = self._http.request("GET", path, params={**filters, "cursor": cursor}).json()
            return _SUMMARIES.validate_python(body["items"]), body["next_cursor"]

        return Pages(f"samples of project {project!r}", fetch)

    def sample(self, sample_id: str) -> SampleSnapshot:
        """The whole sample as the caller sees it, with the sample revision it was read at
        and its project."""
        return _snapshot(self._http.request("GET", _sample_path(sample_id)))

    def refresh(self, snapshot: SampleSnapshot) -> SampleSnapshot:
        """The sample of `snapshot` as it is now: `snapshot` itself while its revision is
        the current one, which the server tells without sending the sample again
        (``If-None-Match``, answered 304)."""
        response = self._http.http.get(
            _sample_path(snapshot.sample.id), headers={"If-None-Match": f'"{snapshot.revision}"'}
        )
        if response.status_code == 304:
            return snapshot
        raise_for_error(response)
        return _snapshot(response)

    def streams(self, sample_id: str) -> list[Stream]:
        """The sample's streams in insertion order."""
        return self._http.parse(_STREAMS, "GET", f"{_sample_path(sample_id)}/streams")

    def stream(self, stream_id: str) -> Stream:
        """One stream."""
        return self._http.parse(_STREAM, "GET", f"/api/streams/{segment(stream_id)}")

    def download_media(self, stream_id: str, path: str | os.PathLike[str]) -> Path:
        """Download the stream's media file to `path`, streamed to disk in chunks."""
        return self._http.download(f"/media/{segment(stream_id)}", Path(path))

    def update_sample(
        self,
        sample_id: str,
        expected_revision: int,
        *,
        status: SampleStatus | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> SampleHead:
        """Set the sample's status and/or replace its metadata (``None``: keep), based on
        the sample revision `expected_revision` (a `ConflictError` when it changed since);
        the sample's own fields after, with its new revision."""
        body: dict[str, Any] = {}
        if status is not None:
            body["status"] = status
        if metadata is not None:
            body["metadata"] = dict(metadata)
        return self._http.parse(
            _HEAD,
            "PATCH",
            _sample_path(sample_id),
            json=body,
            headers=if_match(expected_revision),
        )

    def submit_sample(
        self,
        sample_id: str,
        annotations: Sequence[Annotation | Mapping[str, Any]],
        entities: Sequence[Entity | Mapping[str, Any]],
        links: Sequence[Link | Mapping[str, Any]],
        expected_revision: int,
    ) -> Submitted:
        """Make the caller's work on the sample exactly this, all or nothing: objects with
        new ids are created, changed ones updated (each carries the revision it was read
        at), the ones they see left out deleted. Based on the sample revision
        `expected_revision` (a `ConflictError` when it changed since)."""
        body = {
            "annotations": [record_json(item) for item in annotations],
            "entities": [record_json(item) for item in entities],
            "links": [record_json(item) for item in links],
        }
        response = self._http.request(
            "PUT",
            f"{_sample_path(sample_id)}/annotations",
            json=body,
            headers=if_match(expected_revision),
        )
        answer = response.json()
        snapshot = SampleSnapshot(
            _SAMPLE.validate_python(answer["sample"]), revision_of(response), _project_of(response)
        )
        counts = ("created", "updated", "deleted", "unchanged", "stale")
        return Submitted(snapshot, **{name: int(answer[name]) for name in counts})

    def review_queue(
        self, project: str, *, page_size: int = 100
    ) -> Pages[StaleLink | FlaggedAnnotation]:
        """What waits for a reviewer in the project: stale links and flagged annotations,
        oldest first (per page, the stale links before the flagged annotations)."""
        path = f"/api/projects/{segment(project)}/review"

        def fetch(cursor: str | None) -> Page[StaleLink | FlaggedAnnotation]:
            params = {"limit": page_size, "cursor": cursor}
            body = self._http.request("GET", path, params=params).json()
            items: list[StaleLink | FlaggedAnnotation] = [
                *_STALE.validate_python(body["stale_links"]),
                *_FLAGGED.validate_python(body["flagged"]),
            ]
            return items, body["next_cursor"]

        return Pages(f"the review queue of project {project!r}", fetch)

    def sample_review(self, sample_id: str) -> SampleReview:
        """The sample's review as the caller may see it: the latest decision on each
        annotation and the latest verdict (annotators: those on their own work, and the
        verdict), with the sample's status and revision."""
        return self._http.parse(_REVIEW, "GET", f"{_sample_path(sample_id)}/review")

    def review_sample(
        self,
        sample_id: str,
        decisions: Sequence[Decision],
        verdict: Verdict | None,
        expected_revision: int,
    ) -> SampleReview:
        """Give `decisions` on annotations of the sample and/or a `verdict` on it
        (reviewers), all or nothing, having judged it at the sample revision
        `expected_revision` (a `ConflictError` when it changed since). A verdict moves the
        sample's status: ``accepted`` to ``done``, ``rejected`` back to ``in_progress``.
        The sample's review after, with its new revision."""
        body: dict[str, Any] = {
            "decisions": [
                {"annotation": d.annotation, "decision": d.decision, "reason": d.reason}
                for d in decisions
            ]
        }
        if verdict is not None:
            body["verdict"] = {"decision": verdict.decision, "reason": verdict.reason}
        return self._http.parse(
            _REVIEW,
            "PUT",
            f"{_sample_path(sample_id)}/review",
            json=body,
            headers=if_match(expected_revision),
        )

    def history(self, object_id: str, *, page_size: int = 100) -> Pages[Event]:
        """The events about an object (an annotation, entity, link, stream, sample, a
        project's ontology by the project's id, or a user's roles), oldest first."""
        path = f"/api/objects/{segment(object_id)}/history"

        def fetch(cursor: str | None) -> Page[Event]:
            body = self._http.request(
                "GET", path, params={"limit": page_size, "cursor": cursor}
            ).json()
            return _EVENTS.validate_python(body["items"]), body["next_cursor"]

        return Pages(f"the history of {object_id!r}", fetch)
