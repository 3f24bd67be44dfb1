"""The ``stale-links`` check: links whose ends changed after a reviewer confirmed them.

A confirmed link remembers its ends' revisions (``source_revision``,
``target_revision``; an entity end: the entity's revision). The store turns the link
``stale`` when an end changes; this check reports every stale link and every confirmed
one whose recorded revisions are no longer the ends' current ones (data imported or
written around the store), naming the end that changed and from which revision to which.
"""

from collections.abc import Iterator
from typing import Any, ClassVar

from rosetta.core.checks.spec import CheckContext, Finding, SampleIndex, Severity
from rosetta.core.modality import Modality
from rosetta.core.schema import Link


def _current_revision(index: SampleIndex, ident: str) -> int | None:
    annotation = index.annotations.get(ident)
    if annotation is not None:
        return annotation.revision
    entity = index.entities.get(ident)
    return entity.revision if entity is not None else None


def _changed_ends(link: Link, index: SampleIndex) -> list[dict[str, Any]]:
    """The ends whose current revision differs from the one recorded at confirmation."""
    changed = []
    for end, ident, recorded in (
        ("source", link.source, link.source_revision),
        ("target", link.target, link.target_revision),
    ):
        current = _current_revision(index, ident)
        if recorded is not None and current is not None and recorded != current:
            changed.append(
                {"end": end, "id": ident, "confirmed_revision": recorded, "revision": current}
            )
    return changed


def _describe(changed: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"its {c['end']} {c['id']!r} changed from revision {c['confirmed_revision']} "
        f"to {c['revision']}"
        for c in changed
    )


class StaleLinks:
    """Stale links, and confirmed links whose ends changed since they were confirmed."""

    name: ClassVar[str] = "stale-links"
    description: ClassVar[str] = (
        "links whose ends changed after they were confirmed: every stale link, and "
        "confirmed links whose recorded end revisions are no longer current"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset()
    needs_embedder: ClassVar[bool] = False

    def run(self, context: CheckContext) -> Iterator[Finding]:
        """One warning per stale link and per confirmed link with a changed end."""
        index = context.index
        for link in context.sample.links:
            if link.status not in ("stale", "confirmed"):
                continue
            changed = _changed_ends(link, index)
            look_at = [c["id"] for c in changed] or [link.source, link.target]
            fix = (
                f"look at {' and '.join(repr(i) for i in look_at)}, then re-confirm link "
                f"{link.id!r} if it still holds or reject it"
            )
            what = f"link {link.id!r} ({link.type}, {link.source!r} → {link.target!r})"
            if link.status == "stale":
                why = _describe(changed) or "an end changed after it was confirmed"
                message, kind = f"{what} is stale: {why}", "stale"
            elif changed:
                message = f"{what} is confirmed but {_describe(changed)} since"
                kind = "endpoint-changed"
            else:
                continue
            yield context.finding(
                self.name,
                Severity.WARNING,
                (link.id, link.source, link.target),
                message,
                fix=fix,
                kind=kind,
                changed=changed,
            )
