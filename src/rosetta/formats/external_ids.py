"""External ids of the samples one read gives: a project holds each once, so a file that
several images name (one photo in two samples, written as two images of one name) must not
give two samples the same one."""

from collections.abc import Iterable, Iterator
from dataclasses import replace

from rosetta.formats.interchange import ForeignSample


def distinct_external_ids(samples: Iterable[ForeignSample]) -> Iterator[ForeignSample]:
    """`samples`, the first of each external id keeping it and a later one taking
    ``<external id>#<sample id>`` (sample ids are unique in a read)."""
    seen: set[str] = set()
    for foreign in samples:
        external = foreign.sample.external_id
        if external is None or external not in seen:
            if external is not None:
                seen.add(external)
            yield foreign
            continue
        unique = f"{external}#{foreign.sample.id}"
        yield replace(foreign, sample=foreign.sample.model_copy(update={"external_id": unique}))
