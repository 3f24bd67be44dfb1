"""Annotators for the crash tests: threads that create and update annotations, add links
and submit whole samples through the SDK, each keeping a `Ledger` of what the server
acknowledged (a 2xx) and of what it may or may not have written (no answer: the server was
killed), so that after a restart `Ledger.check` can tell whether the store holds exactly
what it must.

Each annotator owns its samples, so nothing it does conflicts with another's work, and any
refusal (4xx or 5xx) is a failure of the run.
"""

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from rosetta.core.errors import RosettaError
from rosetta.core.geometry import Box, TextSpan
from rosetta.core.schema import Annotation, Link, Sample
from rosetta.sdk import Client

#: What a write sets on an object, as canonical JSON (revision aside); None: no object.
Content = str | None
#: The caption of every sample's text stream (spans are drawn on it).
CAPTION = "An astronaut in an orange suit smiles beside a flag and a cup."


def annotation_content(annotation: Annotation) -> str:
    """An annotation's stream, label, geometry and attributes as canonical JSON."""
    data = annotation.model_dump(mode="json", include={"stream", "label", "geometry", "attributes"})
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def link_content(link: Link) -> str:
    """A link's type and endpoints as canonical JSON (its status and revision follow its
    endpoints, so they are not the writer's)."""
    data = link.model_dump(mode="json", include={"type", "source", "target"})
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def sample_state(sample: Sample) -> dict[str, tuple[str, int]]:
    """Every annotation and link of a sample: id to (content, revision)."""
    state = {a.id: (annotation_content(a), a.revision) for a in sample.annotations}
    state.update({link.id: (link_content(link), -1) for link in sample.links})
    return state


@dataclass
class Unanswered:
    """A write the server got no chance to answer: all of its changes are in the store, or
    none is. ``changes`` are (object id, content before, content after)."""

    what: str
    changes: list[tuple[str, Content, Content]]


@dataclass
class Ledger:
    """What one annotator's samples must hold: per object, the contents it may have (more
    than one only while a write is unanswered) with the revision each must carry (None:
    unknown, -1: not checked)."""

    samples: list[str]
    objects: dict[str, dict[Content, int | None]] = field(default_factory=dict)
    unanswered: list[Unanswered] = field(default_factory=list)
    acknowledged: int = 0
    #: writes that were in flight when the server was killed
    interrupted: int = 0

    def begin(self, what: str, changes: list[tuple[str, Content, Content]]) -> Unanswered:
        """A write about to be sent: until `acknowledge`, it may or may not happen."""
        pending = Unanswered(what, changes)
        self.unanswered.append(pending)
        for object_id, _, after in changes:
            self.objects.setdefault(object_id, {None: None}).setdefault(after, None)
        return pending

    def acknowledge(self, pending: Unanswered, state: dict[str, tuple[str, int]]) -> None:
        """The write was answered with 2xx; `state` is what the answer says the objects
        are now (id to content and revision)."""
        self.unanswered.remove(pending)
        self.acknowledged += 1
        for object_id, _, after in pending.changes:
            if object_id not in state:
                self.objects[object_id] = {after: None}
        for object_id, (content, revision) in state.items():
            self.objects[object_id] = {content: revision}

    def refuse(self, pending: Unanswered) -> None:
        """The write was answered with a refusal: it wrote nothing."""
        self.unanswered.remove(pending)
        for object_id, before, _ in pending.changes:
            self.objects[object_id] = {before: self.objects[object_id].get(before)}

    def check(self, actual: dict[str, tuple[str, int]]) -> list[str]:
        """What is wrong with `actual` (every object of the ledger's samples as read after
        a restart): a lost or changed acknowledged write, an object nobody wrote, a write
        applied in part. Then the ledger takes `actual` as what it knows."""
        self.interrupted += len(self.unanswered)
        problems = []
        for object_id, allowed in self.objects.items():
            content, revision = actual.get(object_id, (None, None))
            if content not in allowed:
                problems.append(f"{object_id}: found {content}, expected one of {list(allowed)}")
            elif allowed[content] not in (None, -1) and allowed[content] != revision:
                problems.append(
                    f"{object_id}: revision {revision}, acknowledged {allowed[content]}"
                )
        problems += [
            f"{key}: in the store but never written" for key in actual.keys() - self.objects.keys()
        ]
        for pending in self.unanswered:
            found = [actual.get(object_id, (None, 0))[0] for object_id, _, _ in pending.changes]
            if found != [after for _, _, after in pending.changes] and found != [
                before for _, before, _ in pending.changes
            ]:
                problems.append(f"{pending.what} was applied in part: {pending.changes} vs {found}")
        self.unanswered.clear()
        self.objects = {key: {content: revision} for key, (content, revision) in actual.items()}
        return problems


class Annotator(threading.Thread):
    """An annotator writing to its own samples (through `client`) until `stop` is set or
    the server goes away; `errors` lists every refusal it got."""

    def __init__(
        self, name: str, client: Client, ledger: Ledger, seed: int, stop: threading.Event
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.client = client
        self.ledger = ledger
        self.rng = random.Random(seed)
        self.stop = stop
        self.errors: list[str] = []
        self.count = 0

    def run(self) -> None:
        """Write until stopped or disconnected."""
        steps = (self.create_annotation, self.update_annotation, self.create_link, self.submit)
        while not self.stop.is_set():
            step = self.rng.choices(steps, weights=(4, 3, 2, 2))[0]
            try:
                step(self.rng.choice(self.ledger.samples))
            except httpx.TransportError:
                return  # killed: what was in flight stays unanswered in the ledger
            except RosettaError as exc:
                self.errors.append(f"{step.__name__}: {type(exc).__name__}: {exc}")

    def _send(self, what: str, changes: list[tuple[str, Content, Content]], call: Any) -> Any:
        pending = self.ledger.begin(what, changes)
        try:
            answer = call()
        except RosettaError:
            self.ledger.refuse(pending)
            raise
        if isinstance(answer, Sample):
            self.ledger.acknowledge(pending, sample_state(answer))
        elif isinstance(answer, Annotation):
            self.ledger.acknowledge(
                pending, {answer.id: (annotation_content(answer), answer.revision)}
            )
        else:
            self.ledger.acknowledge(pending, {answer.id: (link_content(answer), -1)})
        return answer

    def _new_id(self, kind: str) -> str:
        self.count += 1
        return f"{self.name}-{kind}{self.count}-{self.rng.randrange(1 << 30):x}"

    def _new_annotation(self, sample_id: str) -> Annotation:
        ident = self._new_id("a")
        if self.rng.random() < 0.5:
            start = self.rng.randrange(len(CAPTION) - 10)
            span = TextSpan(start=start, end=start + self.rng.randrange(1, 10))
            attributes = {"occluded": self.rng.random() < 0.5}
            return Annotation(
                id=ident,
                stream=f"{sample_id}-text",
                label="person",
                geometry=span,
                attributes=attributes,
            )
        box = Box(x=self.rng.uniform(0, 400), y=self.rng.uniform(0, 300), w=50.0, h=80.0)
        return Annotation(
            id=ident,
            stream=f"{sample_id}-image",
            label="cup",
            geometry=box,
            attributes={"colour": "red"},
        )

    def _mine(self, sample_id: str, geometry: str) -> list[Annotation]:
        """The sample's annotations of one geometry type, as last acknowledged."""
        streams = (f"{sample_id}-text", f"{sample_id}-image")
        found = []
        for object_id, allowed in self.ledger.objects.items():
            content, revision = next(iter(allowed.items()))
            if content is None:
                continue
            data = orjson.loads(content)
            if data.get("stream") in streams and data["geometry"]["type"] == geometry:
                found.append(Annotation(id=object_id, revision=revision or 1, **data))
        return found

    def create_annotation(self, sample_id: str) -> None:
        """Add a span of the caption or a box on the photo."""
        made = self._new_annotation(sample_id)
        self._send(
            f"create {made.id}",
            [(made.id, None, annotation_content(made))],
            lambda: self.client.create_annotation(
                sample_id,
                stream=made.stream,
                label=made.label,
                geometry=made.geometry,
                attributes=made.attributes,
                id=made.id,
            ),
        )

    def update_annotation(self, sample_id: str) -> None:
        """Move one of the sample's boxes, or flip a span's ``occluded``."""
        candidates = self._mine(sample_id, "box") + self._mine(sample_id, "span")
        if not candidates:
            return self.create_annotation(sample_id)
        old = self.rng.choice(candidates)
        if isinstance(old.geometry, Box):
            changed = old.model_copy(
                update={"geometry": old.geometry.model_copy(update={"x": self.rng.uniform(0, 400)})}
            )
        else:
            changed = old.model_copy(
                update={"attributes": {"occluded": not old.attributes.get("occluded")}}
            )
        self._send(
            f"update {old.id}",
            [(old.id, annotation_content(old), annotation_content(changed))],
            lambda: self.client.update_annotation(
                old.id, old.revision, geometry=changed.geometry, attributes=changed.attributes
            ),
        )
        return None

    def create_link(self, sample_id: str) -> None:
        """Link a span of the caption to a box on the photo (``refers-to``)."""
        spans, boxes = self._mine(sample_id, "span"), self._mine(sample_id, "box")
        if not spans or not boxes:
            return self.create_annotation(sample_id)
        made = Link(
            id=self._new_id("l"),
            type="refers-to",
            source=self.rng.choice(spans).id,
            target=self.rng.choice(boxes).id,
        )
        self._send(
            f"link {made.id}",
            [(made.id, None, link_content(made))],
            lambda: self.client.create_link(
                sample_id, type=made.type, source=made.source, target=made.target, id=made.id
            ),
        )
        return None

    def submit(self, sample_id: str) -> None:
        """Read the sample, add two annotations and move or change one, and submit it
        whole (all or nothing)."""
        snapshot = self.client.sample(sample_id)
        sample = snapshot.sample
        added = [self._new_annotation(sample_id) for _ in range(2)]
        work = list(sample.annotations)
        changes: list[tuple[str, Content, Content]] = [
            (a.id, None, annotation_content(a)) for a in added
        ]
        if work:
            index = self.rng.randrange(len(work))
            old = work[index]
            if isinstance(old.geometry, Box):
                update: dict[str, Any] = {
                    "geometry": old.geometry.model_copy(update={"y": self.rng.uniform(0, 300)})
                }
            else:
                update = {"attributes": {"occluded": not old.attributes.get("occluded")}}
            work[index] = old.model_copy(update=update)
            changes.append((old.id, annotation_content(old), annotation_content(work[index])))
        self._send(
            f"submit {sample_id}",
            changes,
            lambda: (
                self.client.submit_sample(
                    sample_id, work + added, sample.entities, sample.links, snapshot.revision
                ).snapshot.sample
            ),
        )


def read_states(client: Client, samples: Iterable[str]) -> dict[str, tuple[str, int]]:
    """Every annotation and link of `samples` as the server holds them now."""
    state: dict[str, tuple[str, int]] = {}
    for sample_id in samples:
        state.update(sample_state(client.sample(sample_id).sample))
    return state
