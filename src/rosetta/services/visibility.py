"""What a person sees of the work (annotations, entities, links) on a sample.

The rule is `rosetta.core.policies.sees_work`: reviewers and above see all work; an
annotator sees the work on a sample assigned to them, everyone's when the sample is
*open* to them (the assignment is not blind and the sample is not gold) and only their
own otherwise. Beyond the author, an entity is hidden when any of its members is, and a
link when either of its ends is, so what is shown never points at what is not.

Two forms of the one rule live here side by side: `shown_ids` applies it to one sample's
work in memory (`visible_sample` filters a loaded sample with it, and every read that
returns work goes through that; whole-sample writes apply it to stored rows), and
`SeenWork` gives the same rule as SQL conditions, for listings that count or filter work
without loading it.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, or_, select

from rosetta.core.policies import Access, Assignment, sees_every_sample, sees_work
from rosetta.core.schema import Sample
from rosetta.store.tables import annotations, entities, entity_members, links


def shown_ids(
    sees: Callable[[str | None], bool],
    annotations: Iterable[tuple[str, str | None]],
    entities: Iterable[tuple[str, str | None, Sequence[str]]],
    links: Iterable[tuple[str, str | None, str, str]],
) -> set[str]:
    """The ids of the work on one sample a person sees, given whose work they see (`sees`:
    `sees_work` of an author): of its annotations (id, author), entities (id, author,
    members) and links (id, author, source, target)."""
    verdicts: dict[str | None, bool] = {}

    def seen(author: str | None) -> bool:
        if author not in verdicts:
            verdicts[author] = sees(author)
        return verdicts[author]

    shown = {ident for ident, author in annotations if seen(author)}
    shown.update(
        [ident for ident, author, members in entities if seen(author) and shown.issuperset(members)]
    )
    shown.update(
        [
            ident
            for ident, author, source, target in links
            if seen(author) and source in shown and target in shown
        ]
    )
    return shown


def visible_sample(
    sample: Sample, access: Access, assignment: Assignment | None, *, gold: bool
) -> Sample:
    """`sample` without the work the person of `access` may not see (`assignment`: theirs
    to the sample, if any; `gold`: whether it is a gold sample)."""
    if sees_every_sample(access):
        return sample

    def sees(author: str | None) -> bool:
        return sees_work(access, assignment, author=author, gold=gold)

    shown = shown_ids(
        sees,
        ((a.id, a.author) for a in sample.annotations),
        ((e.id, e.author, e.members) for e in sample.entities),
        ((x.id, x.author, x.source, x.target) for x in sample.links),
    )
    return sample.model_copy(
        update={
            "annotations": [a for a in sample.annotations if a.id in shown],
            "entities": [e for e in sample.entities if e.id in shown],
            "links": [x for x in sample.links if x.id in shown],
        }
    )


@dataclass(frozen=True)
class SeenWork:
    """The work annotator `author` sees, as SQL conditions on the ``annotations``,
    ``entities`` and ``links`` tables: everyone's on the samples where `open_` holds (a
    condition the enclosing query defines, such as "the sample is one of these" or "the
    joined assignment is not blind and the sample not gold"), their own elsewhere."""

    author: str
    open_: ColumnElement[bool]

    def annotations(self) -> ColumnElement[bool]:
        """The condition on an ``annotations`` row."""
        return or_(self.open_, annotations.c.author == self.author)

    def entities(self) -> ColumnElement[bool]:
        """The condition on an ``entities`` row."""
        return or_(self.open_, self._own_entity(entities.c.id, entities.c.author))

    def links(self) -> ColumnElement[bool]:
        """The condition on a ``links`` row."""
        return or_(
            self.open_,
            and_(
                links.c.author == self.author,
                self._own_end(links.c.source_id, links.c.sample_id),
                self._own_end(links.c.target_id, links.c.sample_id),
            ),
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
