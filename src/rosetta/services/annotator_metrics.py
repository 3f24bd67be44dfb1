"""Annotator metrics, per person and for the whole project, over an optional time window.
Each is computed by SQL aggregation or by streaming rows, never by loading the project.

- **throughput**: tasks handed in (annotate and adjudicate submits, reviews), active time
  and tasks per active hour (`rosetta.services.work_time`), and tasks handed in per
  bucket of time (`ProjectMetrics.bucket_seconds`);
- **accuracy vs gold**: the mean ``tasks.score`` of the person's scored gold, training
  and qualification slots, per modality and for links (the ``f1`` values of
  ``tasks.score_detail``, `rosetta.core.gold_scoring`; links only where the reference or
  the work had any); an annotator reading their own metrics gets training and
  qualification slots only, so audit gold stays unrecognisable (`sees_audit_scores`);
- **agreement with peers** (`rosetta.services.peer_agreement`);
- **consistency**: findings per 100 annotations of the person's handed-in work (their
  annotations on the samples of their handed-in annotate slots), a finding being an
  annotation with flags (rule violations, `rosetta.store.tables.FLAGGED`) or a link of
  theirs there that went stale (`rosetta.services.stale_links`);
- **open findings**: the QA findings (`rosetta.services.findings`) still open about the
  person's work (annotations, entities and links they authored; ``finding_authors``),
  first seen in the window; everyone's: the project's open findings;
- **first-pass acceptance**: of the person's handed-in annotate slots (kind ``work``)
  whose sample a reviewer decided, the share accepted without being returned first;
- **pre-label acceptance and edit size** (`rosetta.services.prelabel_edits`);
- **blind vs shown**: accuracy (on audit gold, whose slots follow the blind-pass draw;
  training and qualification slots always hide candidates) and agreement split by
  ``tasks.candidates_hidden``, the blind-pass slice whose annotators saw no model
  candidates (anchoring).

Windows apply to when a task was handed in (a slot's last update, a submit event's time).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson
from sqlalchemy import ColumnElement, Connection, and_, case, func, select

from rosetta.core.workflow import DEFAULT_LEASE_SECONDS, TASK_STAGES
from rosetta.services.metric_scope import Mean, MetricScope, Tally
from rosetta.services.peer_agreement import AgreementTotals, PeerAgreement, peer_agreement
from rosetta.services.prelabel_edits import PrelabelEdits, prelabel_edits
from rosetta.services.work_time import WorkTime, work_time
from rosetta.services.workflow import current_workflow
from rosetta.store.tables import (
    FLAGGED,
    annotations,
    events,
    finding_authors,
    findings,
    links,
    tasks,
    users,
)

#: The kinds of task slot scored against gold, and those an annotator knows are tests.
SCORED_KINDS = ("gold", "training", "qualification")
KNOWN_TESTS = ("training", "qualification")

#: The default bucket of the throughput series: an hour.
DEFAULT_BUCKET = 3600.0

#: The least active time that gives a rate of tasks per hour: over less, a few tasks
#: handed in at once would read as hundreds of thousands an hour.
MIN_RATE_SECONDS = 60.0


@dataclass(frozen=True)
class Throughput:
    """Tasks handed in, active seconds, and tasks per active hour (``None`` under
    `MIN_RATE_SECONDS` of active time)."""

    handed_in: int
    active_seconds: float
    per_hour: float | None


@dataclass(frozen=True)
class Accuracy:
    """Mean score against gold: overall, per modality, and for links."""

    overall: Mean
    modalities: dict[str, Mean]
    links: Mean


@dataclass(frozen=True)
class Agreement:
    """Mean agreement with peers over pairs, and per peer (their names; empty where the
    reader may not see who the peers were)."""

    mean: Mean
    peers: dict[str, Mean]


@dataclass(frozen=True)
class Consistency:
    """Findings (flagged annotations, stale links) per 100 annotations."""

    annotations: int
    findings: int
    per_100: float | None


@dataclass(frozen=True)
class FirstPass:
    """Handed-in slots whose sample was reviewed, those accepted without a return first,
    and the share."""

    reviewed: int
    accepted: int
    rate: float | None


@dataclass(frozen=True)
class Prelabels:
    """Model candidates seen, those accepted unchanged and the share, and the mean edit
    size of the edited ones: IoU distance (boxes, polygons), boundary shift in characters
    (text spans) and in seconds (intervals, transcript segments)."""

    candidates: int
    unchanged: int
    acceptance: float | None
    iou_distance: Mean
    span_shift: Mean
    interval_shift: Mean


@dataclass(frozen=True)
class Slice:
    """Accuracy and agreement on one slice (blind or shown)."""

    accuracy: Mean
    agreement: Mean


@dataclass(frozen=True)
class SeriesPoint:
    """Tasks handed in during the bucket starting at `start` (seconds since the epoch)."""

    start: float
    handed_in: int


@dataclass(frozen=True)
class Metrics:
    """The metrics of a person, or of everyone together."""

    throughput: Throughput
    accuracy: Accuracy
    agreement: Agreement
    consistency: Consistency
    open_findings: int
    first_pass: FirstPass
    prelabels: Prelabels
    blind: Slice
    shown: Slice


@dataclass(frozen=True)
class AnnotatorMetrics:
    """One person's metrics (`user`: their name) and their throughput over time."""

    user: str
    metrics: Metrics
    series: list[SeriesPoint]


@dataclass(frozen=True)
class ProjectMetrics:
    """A project's metrics over the window [`since`, `until`]: everyone together
    (`total`) and each person, by name."""

    project: str
    since: float | None
    until: float | None
    bucket_seconds: float
    total: Metrics
    annotators: list[AnnotatorMetrics]


@dataclass
class _Accuracy:
    overall: Tally = field(default_factory=Tally)
    modalities: defaultdict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    links: Tally = field(default_factory=Tally)
    blind: Tally = field(default_factory=Tally)
    shown: Tally = field(default_factory=Tally)

    def add(self, score: float, detail: str | None, *, hidden: bool, audit: bool) -> None:
        self.overall.add(score)
        if audit:  # training and qualification slots hide candidates always: not a slice
            (self.blind if hidden else self.shown).add(score)
        parts = orjson.loads(detail) if detail else {}
        for modality, counts in (parts.get("modalities") or {}).items():
            self.modalities[modality].add(counts["f1"])
        linked = parts.get("links")
        if linked and linked["reference"] + linked["submitted"] > 0:
            self.links.add(linked["f1"])

    def merge(self, other: "_Accuracy") -> None:
        for mine, theirs in (
            (self.overall, other.overall),
            (self.links, other.links),
            (self.blind, other.blind),
            (self.shown, other.shown),
            *((self.modalities[m], t) for m, t in other.modalities.items()),
        ):
            mine.merge(theirs)

    def freeze(self) -> Accuracy:
        modalities = {name: tally.mean() for name, tally in sorted(self.modalities.items())}
        return Accuracy(self.overall.mean(), modalities, self.links.mean())


@dataclass
class _Person:
    """What one person's (or everyone's) metrics are made of, before they are frozen."""

    time: WorkTime = field(default_factory=WorkTime)
    accuracy: _Accuracy = field(default_factory=_Accuracy)
    agreement: PeerAgreement = field(default_factory=PeerAgreement)
    consistency: tuple[int, int] = (0, 0)
    open_findings: int = 0
    first_pass: tuple[int, int] = (0, 0)
    edits: PrelabelEdits = field(default_factory=PrelabelEdits)

    def freeze(self, *, peers: bool) -> Metrics:
        """The metrics (`peers`: name each peer in agreement)."""
        time, accuracy, agreement, edits = self.time, self.accuracy, self.agreement, self.edits
        rated = time.active_seconds >= MIN_RATE_SECONDS
        count, findings = self.consistency
        reviewed, accepted = self.first_pass
        named = {name: tally.mean() for name, tally in sorted(agreement.peers.items())}
        return Metrics(
            throughput=Throughput(
                time.handed_in,
                time.active_seconds,
                time.handed_in / (time.active_seconds / 3600) if rated else None,
            ),
            accuracy=accuracy.freeze(),
            agreement=Agreement(agreement.overall.mean(), named if peers else {}),
            consistency=Consistency(count, findings, 100 * findings / count if count else None),
            open_findings=self.open_findings,
            first_pass=FirstPass(reviewed, accepted, accepted / reviewed if reviewed else None),
            prelabels=Prelabels(
                edits.candidates,
                edits.unchanged,
                edits.unchanged / edits.candidates if edits.candidates else None,
                edits.iou_distance.mean(),
                edits.span_shift.mean(),
                edits.interval_shift.mean(),
            ),
            blind=Slice(accuracy.blind.mean(), agreement.blind.mean()),
            shown=Slice(accuracy.shown.mean(), agreement.shown.mean()),
        )


def project_metrics(
    connection: Connection,
    scope: MetricScope,
    *,
    bucket: float = DEFAULT_BUCKET,
    audit: bool = True,
    peers: bool = True,
) -> ProjectMetrics:
    """The metrics of the scope (its person only, when it names one), tasks handed in
    counted per `bucket` seconds; `audit`: count audit gold slots in accuracy; `peers`:
    name each peer in agreement."""
    found = current_workflow(connection, scope.project_id)
    cap = (
        DEFAULT_LEASE_SECONDS
        if found is None
        else max(found.workflow.lease_seconds(stage) for stage in TASK_STAGES)
    )
    people: defaultdict[str, _Person] = defaultdict(_Person)
    for name, time in work_time(connection, scope, cap=cap, bucket=bucket).items():
        people[name].time = time
    for name, accuracy in _accuracy(connection, scope, audit=audit).items():
        people[name].accuracy = accuracy
    agreement = peer_agreement(connection, scope)
    for name, agreed in agreement.people.items():
        people[name].agreement = agreed
    for name, counts in _consistency(connection, scope).items():
        people[name].consistency = counts
    for name, count in _open_findings(connection, scope).items():
        people[name].open_findings = count
    for name, counts in _first_pass(connection, scope).items():
        people[name].first_pass = counts
    for name, edits in prelabel_edits(connection, scope).items():
        people[name].edits = edits
    if scope.user is not None:
        people = defaultdict(_Person, {scope.user: people[scope.user]})
    annotators = [
        AnnotatorMetrics(
            user=name,
            metrics=person.freeze(peers=peers),
            series=[SeriesPoint(start, n) for start, n in sorted(person.time.series.items())],
        )
        for name, person in sorted(people.items())
    ]
    total = _total(people.values(), agreement)
    total.open_findings = _open_total(connection, scope)
    return ProjectMetrics(
        project=scope.project_id,
        since=scope.since,
        until=scope.until,
        bucket_seconds=bucket,
        total=total.freeze(peers=False),
        annotators=annotators,
    )


def _total(people: Iterable[_Person], agreement: AgreementTotals) -> _Person:
    """Everyone together: sums of counts and times, means over all values (each pair of
    peers once)."""
    total = _Person(
        agreement=PeerAgreement(
            overall=agreement.pairs, blind=agreement.blind, shown=agreement.shown
        )
    )
    for person in people:
        total.time.handed_in += person.time.handed_in
        total.time.active_seconds += person.time.active_seconds
        total.accuracy.merge(person.accuracy)
        total.consistency = _plus(total.consistency, person.consistency)
        total.first_pass = _plus(total.first_pass, person.first_pass)
        total.edits.candidates += person.edits.candidates
        total.edits.unchanged += person.edits.unchanged
        for mine, theirs in (
            (total.edits.iou_distance, person.edits.iou_distance),
            (total.edits.span_shift, person.edits.span_shift),
            (total.edits.interval_shift, person.edits.interval_shift),
        ):
            mine.merge(theirs)
    return total


def _plus(first: tuple[int, int], second: tuple[int, int]) -> tuple[int, int]:
    return first[0] + second[0], first[1] + second[1]


def _accuracy(connection: Connection, scope: MetricScope, *, audit: bool) -> dict[str, _Accuracy]:
    """Each person's accuracy against gold, streamed over their scored slots."""
    query = (
        select(
            users.c.name,
            tasks.c.kind,
            tasks.c.score,
            tasks.c.score_detail,
            tasks.c.candidates_hidden,
        )
        .join(users, users.c.id == tasks.c.user_id)
        .where(
            tasks.c.project_id == scope.project_id,
            tasks.c.kind.in_(SCORED_KINDS if audit else KNOWN_TESTS),
            tasks.c.score.is_not(None),
            scope.within(tasks.c.updated_at),
        )
    )
    if scope.user_id is not None:
        query = query.where(tasks.c.user_id == scope.user_id)
    found: defaultdict[str, _Accuracy] = defaultdict(_Accuracy)
    for row in connection.execution_options(yield_per=1000).execute(query):
        found[row.name].add(
            row.score,
            row.score_detail,
            hidden=bool(row.candidates_hidden),
            audit=row.kind == "gold",
        )
    return dict(found)


def _handed_in_work(scope: MetricScope) -> list[ColumnElement[bool]]:
    """The conditions on `tasks` of the scope's handed-in annotate slots."""
    conditions: list[ColumnElement[bool]] = [
        tasks.c.project_id == scope.project_id,
        tasks.c.stage == "annotate",
        tasks.c.status.in_(("submitted", "done")),
        scope.within(tasks.c.updated_at),
    ]
    if scope.user_id is not None:
        conditions.append(tasks.c.user_id == scope.user_id)
    return conditions


def _consistency(connection: Connection, scope: MetricScope) -> dict[str, tuple[int, int]]:
    """Each person's (annotations, findings) over their handed-in work."""
    holders = tasks.join(users, users.c.id == tasks.c.user_id)
    theirs = holders.join(
        annotations,
        and_(annotations.c.sample_id == tasks.c.sample_id, annotations.c.author == users.c.name),
    )
    flagged = func.sum(case((FLAGGED, 1), else_=0))
    found = {
        row.name: (int(row.annotated), int(row.flagged or 0))
        for row in connection.execute(
            select(users.c.name, func.count().label("annotated"), flagged.label("flagged"))
            .select_from(theirs)
            .where(*_handed_in_work(scope))
            .group_by(users.c.name)
        )
    }
    stale = holders.join(
        links, and_(links.c.sample_id == tasks.c.sample_id, links.c.author == users.c.name)
    )
    for row in connection.execute(
        select(users.c.name, func.count().label("stale"))
        .select_from(stale)
        .where(*_handed_in_work(scope), links.c.status == "stale")
        .group_by(users.c.name)
    ):
        count, findings = found.get(row.name, (0, 0))
        found[row.name] = (count, findings + int(row.stale))
    return found


def _open_findings(connection: Connection, scope: MetricScope) -> dict[str, int]:
    """Each person's open findings: ``finding_authors`` by author (its index), joined to
    the findings of the project and to the users (an author that is no user, a model,
    is no person)."""
    query = (
        select(finding_authors.c.author, func.count().label("found"))
        .join(findings, findings.c.pk == finding_authors.c.finding_pk)
        .join(users, users.c.name == finding_authors.c.author)
        .where(
            findings.c.project_id == scope.project_id,
            findings.c.status == "open",
            scope.within(findings.c.first_seen),
        )
        .group_by(finding_authors.c.author)
    )
    if scope.user is not None:
        query = query.where(finding_authors.c.author == scope.user)
    return {row.author: int(row.found) for row in connection.execute(query)}


def _open_total(connection: Connection, scope: MetricScope) -> int:
    """The project's open findings first seen in the window."""
    return int(
        connection.execute(
            select(func.count()).where(
                findings.c.project_id == scope.project_id,
                findings.c.status == "open",
                scope.within(findings.c.first_seen),
            )
        ).scalar_one()
    )


def _first_pass(connection: Connection, scope: MetricScope) -> dict[str, tuple[int, int]]:
    """Each person's (reviewed, accepted at first pass) handed-in work slots. Whether a
    slot was ever returned is an uncorrelated ``IN`` over the project's ``return`` events,
    which both databases evaluate once (hashed, or an ephemeral index), not per slot."""
    review = tasks.alias("review")
    returned = tasks.c.id.in_(
        select(events.c.object_id).where(
            events.c.project_id == scope.project_id,
            events.c.object_kind == "task",
            events.c.action == "return",
        )
    )
    accepted = func.sum(case((and_(~returned, review.c.status == "done"), 1), else_=0))
    query = (
        select(users.c.name, func.count().label("reviewed"), accepted.label("accepted"))
        .select_from(
            tasks.join(users, users.c.id == tasks.c.user_id).join(
                review,
                and_(
                    review.c.sample_id == tasks.c.sample_id,
                    review.c.stage == "review",
                    review.c.slot == 0,
                ),
            )
        )
        .where(
            tasks.c.project_id == scope.project_id,
            tasks.c.stage == "annotate",
            tasks.c.kind == "work",
            tasks.c.status.in_(("submitted", "returned", "done")),
            scope.within(tasks.c.updated_at),
            (review.c.status == "done") | returned,
        )
        .group_by(users.c.name)
    )
    if scope.user_id is not None:
        query = query.where(tasks.c.user_id == scope.user_id)
    return {
        row.name: (int(row.reviewed), int(row.accepted or 0)) for row in connection.execute(query)
    }
