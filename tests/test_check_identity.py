"""`core.checks.identity.components` against scipy's `connected_components` on random
graphs: the same partition of the ids."""

import numpy as np
import pytest
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from rosetta.core.checks.identity import components


@pytest.mark.parametrize("seed", range(20))
def test_components_partition_the_ids_as_scipy_does(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 40))
    ids = [f"a{i}" for i in range(size)]
    pairs = rng.integers(0, size, size=(int(rng.integers(0, size)), 2))
    graph = coo_array((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(size, size))
    _, labels = connected_components(graph, directed=False)

    found = components(ids, [(ids[a], ids[b]) for a, b in pairs])

    for i in range(size):
        for j in range(size):
            assert (found[ids[i]] == found[ids[j]]) == (labels[i] == labels[j])
    assert sorted(set(found.values())) == list(range(len(set(labels.tolist()))))
    assert found[ids[0]] == 0
