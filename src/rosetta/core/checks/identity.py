"""Which annotations of a sample denote one thing: the connected components of entity
membership and, where a check says so, of links. Shared by the checks that compare what
the annotations of one thing say (entity consistency, mentions)."""

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

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
    ends must be in `ids`), numbered from 0."""
    position = {ident: number for number, ident in enumerate(ids)}
    pairs = np.array([(position[a], position[b]) for a, b in edges], dtype=np.int64).reshape(-1, 2)
    graph = coo_array(
        (np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])),
        shape=(len(ids), len(ids)),
    )
    _, labels = connected_components(graph, directed=False)
    return dict(zip(ids, labels.tolist(), strict=True))
