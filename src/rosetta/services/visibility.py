"""What a person sees of the work (annotations, entities, links) on a sample.

The rule is `rosetta.core.policies.sees_work`: reviewers and above see all work; an
annotator sees the work on a sample assigned to them, everyone's when the sample is
*open* to them (the assignment is not blind and the sample is not gold) and only their
own otherwise. Beyond the author, an entity is hidden when any of its members is, and a
link when either of its ends is, so what is shown never points at what is not.

**Blind pass.** The holder of an annotate slot in the blind-pass slice
(`rosetta.core.workflow.candidates_hidden`; `Assignment.candidates_hidden`) sees no model
candidates, whoever their author: no annotation a model proposed that no person has changed
yet (source ``model``, revision 1), and no ``proposed`` link whose attributes name a
``model`` (as `rosetta.services.projection` proposes them). Reviewers and above see them.

**Preference samples** (`rosetta.core.preference`). Reviewers and above see every
judgement and the models behind the candidates; an annotator (an evaluator) sees only
their own judgement, no other judgement's rationale stream (nor the phrases on it and the
links touching them), and no candidate's model or model version unless the project's
workflow reveals them (`rosetta.core.workflow.AnnotateStage.reveal_models`, which the
caller reads and passes as ``models_revealed``). Every caller gets the candidates in their
own `presentation_order`. `preference_view` gives the rule for a sample's candidates and
judgements, stored rows or records alike.

Two forms of the one rule live here side by side: `shown_ids` applies it to one sample's
work in memory (`visible_sample` filters a loaded sample with it, and every read that
returns work goes through that; whole-sample writes apply it to stored rows), and
`SeenWork` gives the same rule as SQL conditions, for listings that count or filter work
without loading it.
"""

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, FromClause, and_, exists, or_, select

from rosetta.core.policies import Access, Assignment, sees_every_sample, sees_work
from rosetta.core.preference import presentation_order
from rosetta.core.schema import Annotation, Link, Sample
from rosetta.store.events import dumps
from rosetta.store.tables import annotations, entities, entity_members, judgements, links, tasks

#: What a model candidate's stored source holds (`rosetta.store.records.annotation_row`).
MODEL_SOURCE = '"kind":"model"'
#: What a model's proposed link's stored attributes hold: a key ``model`` (at any depth;
#: a quote in a string value is escaped, so no value can hold this).
MODEL_ATTRIBUTE = '"model":'


def candidate_row(source: str, revision: int) -> bool:
    """Whether a stored annotation (its source's JSON text, its revision) is a model's
    candidate no person has changed yet."""
    return revision == 1 and MODEL_SOURCE in source


def model_link_row(status: str, attributes: str) -> bool:
    """Whether a stored link (its status, its attributes' JSON text) is a model's
    proposal."""
    return status == "proposed" and MODEL_ATTRIBUTE in attributes


def hides_candidates(sample_id: Any, user_id: Any) -> ColumnElement[bool]:
    """The condition that the user (`user_id`, a value or column) holds or held an
    annotate slot of the sample (`sample_id`, a column) on its blind pass (a probe of the
    tasks' ``(sample_id, stage, slot)`` index)."""
    return exists(
        select(tasks.c.pk).where(
            tasks.c.sample_id == sample_id,
            tasks.c.stage == "annotate",
            tasks.c.user_id == user_id,
            tasks.c.candidates_hidden,
        )
    )


def is_candidate_record(annotation: Annotation) -> bool:
    """Whether `annotation` is a model's candidate no person has changed yet (`candidate_row`
    for a record)."""
    return annotation.source.kind == "model" and annotation.revision == 1


def candidate_ids(annotations: Iterable[Annotation], links: Iterable[Link]) -> set[str]:
    """The ids of the model candidates among a sample's annotations and links."""
    found = {a.id for a in annotations if is_candidate_record(a)}
    found.update(x.id for x in links if model_link_row(x.status, dumps(x.attributes)))
    return found


def shown_ids(
    sees: Callable[[str | None], bool],
    annotations: Iterable[tuple[str, str | None]],
    entities: Iterable[tuple[str, str | None, Sequence[str]]],
    links: Iterable[tuple[str, str | None, str, str]],
    *,
    hidden: Collection[str] = frozenset(),
) -> set[str]:
    """The ids of the work on one sample a person sees, given whose work they see (`sees`:
    `sees_work` of an author): of its annotations (id, author), entities (id, author,
    members) and links (id, author, source, target); the annotations and links in
    `hidden` (model candidates on a blind pass) are not seen, whoever their author."""
    verdicts: dict[str | None, bool] = {}

    def seen(author: str | None) -> bool:
        if author not in verdicts:
            verdicts[author] = sees(author)
        return verdicts[author]

    shown = {ident for ident, author in annotations if ident not in hidden and seen(author)}
    shown.update(
        [ident for ident, author, members in entities if seen(author) and shown.issuperset(members)]
    )
    shown.update(
        [
            ident
            for ident, author, source, target in links
            if ident not in hidden and seen(author) and source in shown and target in shown
        ]
    )
    return shown


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


class _Judged(Protocol):
    @property
    def author(self) -> str | None: ...

    @property
    def rationale(self) -> str | None: ...


C = TypeVar("C", bound=_Identified)
J = TypeVar("J", bound=_Judged)


@dataclass(frozen=True)
class PreferenceView(Generic[C, J]):
    """What one person sees of a sample's candidates and judgements (`preference_view`):
    the candidates in their presentation order, whether the models behind them are shown,
    the judgements they see, and the rationale streams of those they do not."""

    candidates: list[C]
    models_shown: bool
    judgements: list[J]
    hidden_streams: frozenset[str]


def preference_view(
    access: Access,
    project_id: str,
    sample_id: str,
    candidates: Sequence[C],
    judgements: Sequence[J],
    *,
    models_revealed: bool = False,
) -> PreferenceView[C, J]:
    """The person of `access`'s view of the sample's `candidates` and `judgements` (stored
    rows or records), `models_revealed` when the project's workflow shows annotators the
    models: see the module."""
    evaluator = access.principal.name
    by_id = {candidate.id: candidate for candidate in candidates}
    order = presentation_order(project_id, sample_id, evaluator, list(by_id))
    ordered = [by_id[ident] for ident in order]
    if sees_every_sample(access):
        return PreferenceView(ordered, True, list(judgements), frozenset())
    own = [judgement for judgement in judgements if judgement.author == evaluator]
    hidden = frozenset(
        judgement.rationale
        for judgement in judgements
        if judgement.rationale is not None and judgement.author != evaluator
    )
    return PreferenceView(ordered, models_revealed, own, hidden)


def on_streams(annotations: Iterable[Annotation], stream_ids: Collection[str]) -> set[str]:
    """The ids of the annotations on the streams `stream_ids`."""
    return {a.id for a in annotations if a.stream is not None and a.stream in stream_ids}


def visible_sample(
    sample: Sample,
    access: Access,
    assignment: Assignment | None,
    *,
    gold: bool,
    models_revealed: bool = False,
) -> Sample:
    """`sample` without the work the person of `access` may not see (`assignment`: theirs
    to the sample, if any; `gold`: whether it is a gold sample), its candidates in their
    presentation order, their models shown as `preference_view` says."""
    project_id = access.project_id
    view = preference_view(
        access,
        project_id,
        sample.id,
        sample.candidates,
        sample.judgements,
        models_revealed=models_revealed,
    )
    if sees_every_sample(access):
        return (
            sample.model_copy(update={"candidates": view.candidates}) if view.candidates else sample
        )
    hidden: set[str] = on_streams(sample.annotations, view.hidden_streams)
    if assignment is not None and assignment.candidates_hidden:
        hidden |= candidate_ids(sample.annotations, sample.links)

    def sees(author: str | None) -> bool:
        return sees_work(access, assignment, author=author, gold=gold)

    shown = shown_ids(
        sees,
        ((a.id, a.author) for a in sample.annotations),
        ((e.id, e.author, e.members) for e in sample.entities),
        ((x.id, x.author, x.source, x.target) for x in sample.links),
        hidden=hidden,
    )
    return sample.model_copy(
        update={
            "streams": [s for s in sample.streams if s.id not in view.hidden_streams],
            "annotations": [a for a in sample.annotations if a.id in shown],
            "entities": [e for e in sample.entities if e.id in shown],
            "links": [x for x in sample.links if x.id in shown],
            "candidates": view.candidates
            if view.models_shown
            else [
                c.model_copy(update={"model": None, "model_version": None}) for c in view.candidates
            ],
            "judgements": view.judgements,
        }
    )


@dataclass(frozen=True)
class SeenWork:
    """The work annotator `author` sees, as SQL conditions on the ``annotations``,
    ``entities`` and ``links`` tables: everyone's on the samples where `open_` holds (a
    condition the enclosing query defines, such as "the sample is one of these" or "the
    joined assignment is not blind and the sample not gold"), their own elsewhere; no
    model candidates on the samples where `hides` holds (their blind pass)."""

    author: str
    open_: ColumnElement[bool]
    hides: ColumnElement[bool] | None = None

    def annotations(self) -> ColumnElement[bool]:
        """The condition on an ``annotations`` row."""
        seen = and_(
            or_(self.open_, annotations.c.author == self.author),
            ~self._on_others_rationale(annotations),
        )
        if self.hides is None:
            return seen
        return and_(seen, ~and_(self.hides, is_candidate(annotations)))

    def entities(self) -> ColumnElement[bool]:
        """The condition on an ``entities`` row."""
        member = entity_members.alias()
        annotation = annotations.alias()
        member_hidden = exists(
            select(member.c.pk)
            .join(annotation, annotation.c.id == member.c.annotation_id)
            .where(member.c.entity_id == entities.c.id, self._on_others_rationale(annotation))
        )
        return and_(
            or_(self.open_, self._own_entity(entities.c.id, entities.c.author)), ~member_hidden
        )

    def links(self) -> ColumnElement[bool]:
        """The condition on a ``links`` row."""
        annotation = annotations.alias()
        end_hidden = exists(
            select(annotation.c.pk).where(
                annotation.c.id.in_([links.c.source_id, links.c.target_id]),
                self._on_others_rationale(annotation),
            )
        )
        seen = and_(
            or_(
                self.open_,
                and_(
                    links.c.author == self.author,
                    self._own_end(links.c.source_id, links.c.sample_id),
                    self._own_end(links.c.target_id, links.c.sample_id),
                ),
            ),
            ~end_hidden,
        )
        if self.hides is None:
            return seen
        end = annotations.alias()
        candidate_end = exists(
            select(end.c.pk).where(
                end.c.id.in_([links.c.source_id, links.c.target_id]), is_candidate(end)
            )
        )
        model_link = and_(
            links.c.status == "proposed",
            links.c.attributes.contains(MODEL_ATTRIBUTE, autoescape=True),
        )
        return and_(seen, ~and_(self.hides, or_(model_link, candidate_end)))

    def _on_others_rationale(self, annotation: FromClause) -> ColumnElement[bool]:
        """Whether the `annotation` row (of ``annotations`` or an alias) lies on the
        rationale stream of someone else's judgement (`preference_view` hides it)."""
        judgement = judgements.alias()
        return exists(
            select(judgement.c.pk).where(
                judgement.c.sample_id == annotation.c.sample_id,
                judgement.c.rationale == annotation.c.stream_id,
                judgement.c.author.is_distinct_from(self.author),
            )
        )

    def _own_entity(
        self, entity_id: ColumnElement[str], author: ColumnElement[str]
    ) -> ColumnElement[bool]:
        member = entity_members.alias()
        other = annotations.alias()
        someone_elses = (
            select(member.c.pk)
            .join(other, other.c.id == member.c.annotation_id)
            .where(member.c.entity_id == entity_id, other.c.author.is_distinct_from(self.author))
        )
        return and_(author == self.author, ~exists(someone_elses))

    def _own_end(
        self, end: ColumnElement[str], sample_id: ColumnElement[str]
    ) -> ColumnElement[bool]:
        annotation = annotations.alias()
        entity = entities.alias()
        return or_(
            exists(
                select(annotation.c.pk).where(
                    annotation.c.id == end,
                    annotation.c.sample_id == sample_id,
                    annotation.c.author == self.author,
                )
            ),
            exists(
                select(entity.c.pk).where(
                    entity.c.id == end,
                    entity.c.sample_id == sample_id,
                    self._own_entity(entity.c.id, entity.c.author),
                )
            ),
        )


def from_model(json_text: ColumnElement[str]) -> ColumnElement[bool]:
    """The condition that the JSON text `json_text` (an annotation's ``source``, or an
    event's annotation) names a model as its source."""
    return json_text.contains(MODEL_SOURCE, autoescape=True)


def is_candidate(table: Any) -> ColumnElement[bool]:
    """`candidate_row` as a condition on a row of `table` (``annotations`` or an alias)."""
    return and_(table.c.revision == 1, from_model(table.c.source))
