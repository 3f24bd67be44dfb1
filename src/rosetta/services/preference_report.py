"""A project's preference report: its judgements aggregated by
`rosetta.core.preference_stats` (Bradley–Terry strengths, win rates, position and length
bias, agreement, rubric summaries) as one `PreferenceReport`, the body of
``GET /api/projects/{project}/preferences/report``.

The judged samples stream from the database `BATCH` at a time; each batch is read with one
query per table (judgements, candidates, the candidates' streams' lengths), so memory
holds one batch and the running counts, never the project.
"""

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime

import orjson
from sqlalchemy import Connection, func, select

from rosetta.core.errors import RuleViolation
from rosetta.core.modality import Modality
from rosetta.core.preference import Judgement
from rosetta.core.preference_report_model import PreferenceReport
from rosetta.core.preference_stats import CandidateFacts, PreferenceTally
from rosetta.services.projects import load_ontology
from rosetta.store.id_lists import among
from rosetta.store.records import judgement_from_row
from rosetta.store.tables import candidates, judgements, projects, streams

#: Judged samples read per batch.
BATCH = 500

_JUDGEMENTS = (
    select(judgements)
    .where(among(judgements.c.sample_id, "ids"))
    .order_by(judgements.c.sample_id, judgements.c.pk)
)
_CANDIDATES = select(
    candidates.c.id, candidates.c.sample_id, candidates.c.model, candidates.c.streams
).where(among(candidates.c.sample_id, "ids"))
_LENGTHS = select(
    streams.c.id,
    streams.c.modality,
    func.length(streams.c.text).label("text_length"),
    streams.c.media,
).where(among(streams.c.id, "ids"))


def preference_report(
    connection: Connection,
    project_id: str,
    *,
    reference: str | None = None,
    now: datetime | None = None,
    batch: int = BATCH,
) -> PreferenceReport:
    """The preference report of the project, read in `connection` (one snapshot), the
    Bradley–Terry strengths relative to the model `reference` (default: the most compared)."""
    name = connection.execute(
        select(projects.c.name).where(projects.c.id == project_id)
    ).scalar_one()
    rubric = load_ontology(connection, project_id).rubric
    tally = PreferenceTally()
    for sample_id, facts, given in judged_samples(connection, project_id, batch):
        tally.add(sample_id, facts, given)
    try:
        stats = tally.result(rubric, reference=reference)
    except ValueError as error:
        raise RuleViolation(
            "preference report", "reference", "known-model", f"{error}: name a judged model"
        ) from None
    return PreferenceReport(
        project=project_id,
        name=name,
        generated_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
        stats=stats,
    )


def judged_samples(
    connection: Connection, project_id: str, batch: int = BATCH
) -> Iterator[tuple[str, dict[str, CandidateFacts], list[Judgement]]]:
    """Each judged sample of the project: its id, its candidates' facts by id and its
    judgements, `batch` samples per round of queries."""
    query = (
        select(judgements.c.sample_id)
        .where(judgements.c.project_id == project_id)
        .group_by(judgements.c.sample_id)
        .order_by(judgements.c.sample_id)
    )
    # closed however the caller stops: a server-side cursor on PostgreSQL
    with connection.execution_options(yield_per=batch).execute(query) as result:
        for partition in result.partitions():
            sample_ids = [row.sample_id for row in partition]
            facts = _candidate_facts(connection, sample_ids)
            by_sample: dict[str, list[Judgement]] = defaultdict(list)
            for row in connection.execute(_JUDGEMENTS, {"ids": sample_ids}):
                by_sample[row.sample_id].append(judgement_from_row(row))
            for sample_id in sample_ids:
                yield sample_id, facts.get(sample_id, {}), by_sample[sample_id]


def _candidate_facts(
    connection: Connection, sample_ids: list[str]
) -> dict[str, dict[str, CandidateFacts]]:
    """The facts of the candidates of `sample_ids`, by sample and candidate id."""
    found = [
        (row.sample_id, row.id, row.model, orjson.loads(row.streams))
        for row in connection.execute(_CANDIDATES, {"ids": sample_ids})
    ]
    stream_ids = [s for *_, parts in found for s in parts]
    measured = {
        row.id: (Modality(row.modality), row.text_length, orjson.loads(row.media))
        for row in connection.execute(_LENGTHS, {"ids": stream_ids})
    }
    facts: dict[str, dict[str, CandidateFacts]] = defaultdict(dict)
    for sample_id, candidate_id, model, parts in found:
        facts[sample_id][candidate_id] = _facts(
            model, [measured[s] for s in parts if s in measured]
        )
    return facts


def _facts(
    model: str | None, parts: Sequence[tuple[Modality, int | None, Mapping[str, object]]]
) -> CandidateFacts:
    """A candidate's length: the code points of its text streams when it has any, else the
    seconds of its timed streams, else none."""
    texts = [
        length if length is not None else media.get("length")
        for modality, length, media in parts
        if modality is Modality.TEXT
    ]
    if texts:
        return CandidateFacts(
            model, float(sum(t for t in texts if isinstance(t, int))), "characters"
        )
    durations = [media.get("duration") for modality, _, media in parts if modality.timed]
    seconds = [d for d in durations if isinstance(d, int | float)]
    if seconds:
        return CandidateFacts(model, float(sum(seconds)), "seconds")
    return CandidateFacts(model)
