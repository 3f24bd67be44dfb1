"""Models propose, people decide: the installed proposers, asking one for candidates on a
stream, deciding about a candidate, and the project's decisions per model and per person.

::

    proposers = rosetta.proposers()                     # what each takes, and if it can run
    found = rosetta.propose("portrait", "portrait.image", "grabcut",
                            box=(40, 30, 200, 260), label="person")
    made = rosetta.decide(found[0].id, found[0].revision, "accept")
    rosetta.candidate_metrics("demo").models            # acceptance and edit size per model
"""

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter

from rosetta.core.geometry import Geometry
from rosetta.core.schema import Annotation
from rosetta.sdk.samples import record_json
from rosetta.sdk.transport import MethodGroup, if_match, segment


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Proposer(_Answer):
    """An installed proposer: the modalities it works on, the geometries it proposes, the
    prompts it takes (``points``, ``box``, ``text``; ``prompt_required``: at least one),
    its parameters' JSON schema, and why it cannot run on the server (``None``: it can)."""

    name: str
    description: str
    modalities: list[str]
    geometries: list[str]
    prompts: list[str]
    prompt_required: bool
    parameters: dict[str, Any]
    unavailable: str | None


class EditMeasures(_Answer):
    """What a decision changed: the class, and the IoU, boundary shift and WER between the
    candidate and the annotation it became (``None``: does not apply)."""

    label_changed: bool
    iou: float | None
    boundary_shift: float | None
    wer: float | None


class Decision(_Answer):
    """A decision about a candidate: ``accepted``, ``edited`` or ``rejected``, the candidate
    as the model proposed it, what changed, and the annotation after (``None``: rejected)."""

    decision: Literal["accepted", "edited", "rejected"]
    candidate: Annotation
    measures: EditMeasures
    annotation: Annotation | None


class DecisionTally(_Answer):
    """The decisions about one model's candidates (or one person's decisions)."""

    name: str
    decisions: int
    accepted: int
    edited: int
    rejected: int
    acceptance: float
    label_changes: int
    mean_iou: float | None
    mean_boundary_shift: float | None
    mean_wer: float | None


class CandidateMetrics(_Answer):
    """A project's decisions about candidates, per model and per person."""

    models: list[DecisionTally]
    people: list[DecisionTally]


_PROPOSERS = TypeAdapter(list[Proposer])
_ANNOTATIONS = TypeAdapter(list[Annotation])
_DECISION = TypeAdapter(Decision)
_METRICS = TypeAdapter(CandidateMetrics)


def _prompt(
    points: Sequence[tuple[float, float, bool]],
    box: tuple[float, float, float, float] | None,
    text: str | None,
    frame: int | None,
    interval: tuple[float, float] | None,
) -> dict[str, Any]:
    prompt: dict[str, Any] = {}
    if points:
        prompt["points"] = [{"x": x, "y": y, "positive": on} for x, y, on in points]
    if box is not None:
        x, y, w, h = box
        prompt["box"] = {"type": "box", "x": x, "y": y, "w": w, "h": h, "frame": frame}
    if text is not None:
        prompt["text"] = text
    if frame is not None:
        prompt["frame"] = frame
    if interval is not None:
        prompt["interval"] = {"type": "interval", "start": interval[0], "end": interval[1]}
    return prompt


class ProposalMethods(MethodGroup):
    """Candidates from models, and people's decisions about them."""

    def proposers(self) -> list[Proposer]:
        """Every proposer installed on the server, by name."""
        return self._http.parse(_PROPOSERS, "GET", "/api/proposers")

    def propose(
        self,
        sample_id: str,
        stream_id: str,
        proposer: str,
        *,
        points: Sequence[tuple[float, float, bool]] = (),
        box: tuple[float, float, float, float] | None = None,
        text: str | None = None,
        frame: int | None = None,
        interval: tuple[float, float] | None = None,
        label: str | None = None,
        parameters: Mapping[str, Any] | None = None,
    ) -> list[Annotation]:
        """Run `proposer` on the stream with a prompt (clicks ``(x, y, positive)``, a box
        ``(x, y, w, h)`` in pixels, text, a video frame, an ``(start, end)`` interval in
        seconds) and store its proposals as candidates (classed `label` where the model
        gives none): the candidates."""
        body = {
            "proposer": proposer,
            "stream": stream_id,
            "prompt": _prompt(points, box, text, frame, interval),
            "label": label,
            "parameters": dict(parameters or {}),
        }
        path = f"/api/samples/{segment(sample_id)}/proposals"
        return self._http.parse(_ANNOTATIONS, "POST", path, json=body)

    def decide(
        self,
        annotation_id: str,
        expected_revision: int,
        decision: Literal["accept", "reject"],
        *,
        label: str | None = None,
        geometry: Geometry | Mapping[str, Any] | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> Decision:
        """Accept the candidate (with the class, geometry or attributes it should have
        instead, if any) or reject it; what changed is recorded for the metrics."""
        body: dict[str, Any] = {"decision": decision}
        if label is not None:
            body["label"] = label
        if geometry is not None:
            body["geometry"] = record_json(geometry)
        if attributes is not None:
            body["attributes"] = dict(attributes)
        path = f"/api/annotations/{segment(annotation_id)}/decision"
        return self._http.parse(
            _DECISION, "POST", path, json=body, headers=if_match(expected_revision)
        )

    def candidate_metrics(self, project: str) -> CandidateMetrics:
        """The project's decisions about candidates per model and per person (reviewers
        and above)."""
        path = f"/api/projects/{segment(project)}/metrics/candidates"
        return self._http.parse(_METRICS, "GET", path)
