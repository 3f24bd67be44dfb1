"""Which annotations of a sample denote one thing: the connected components of entity
membership and, where a check says so, of links. Shared by the checks that compare what
the annotations of one thing say (entity consistency, mentions)."""

from collections.abc import Iterable, Iterator, Sequence

from rosetta.core.checks.spec import SampleIndex


def entity_edges(index: SampleIndex) -> Iterator[tuple[str, str]]:
    """Edges joining the members of each entity (each member to the first one), members
    that are no annotation of the sample left out: linear in the memberships."""
    for entity in index.sample.entities:
        members = [m for m in entity.members if m in index.annotations]
        for member in members[1:]:
            yield members[0], member


def components(ids: Sequence[str], edges: Iterable[tuple[str, str]]) -> dict[str, int]:
    """The connected component of each of `ids` in the undirected graph of `edges` (both
    ends must be in `ids`), numbered from 0 in the order of `ids`.

    A union-find with path halving, not scipy's `connected_components`: a sample's graph
    has tens of nodes, where building sparse matrices costs half a millisecond a call and
    a batch pass makes hundreds of thousands of them."""
    parent = {ident: ident for ident in ids}

    def root(ident: str) -> str:
        while parent[ident] != ident:
            parent[ident] = parent[parent[ident]]
            ident = parent[ident]
        return ident

    for first, second in edges:
        a, b = root(first), root(second)
        if a != b:
            parent[b] = a
    numbers: dict[str, int] = {}
    return {ident: numbers.setdefault(root(ident), len(numbers)) for ident in ids}
