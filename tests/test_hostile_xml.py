"""XML attacks on every XML format (VOC, CVAT for images and for video, ELAN), imported
into a real store: the quadratic blowup (one large entity used many times), external
entities and parameter entities that name a local file, a server on loopback or the cloud
metadata address, and an external DTD. Every entity declaration fails with an
`ImportFailed` naming the file and the line and writes nothing; an external DTD is never
read (what it would declare stays undefined); no request reaches the server.

The billion-laughs bomb and a ``file:///etc/passwd`` entity are in the format's own tests
(test_format_voc.py, test_format_cvat.py, test_format_elan.py).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from conftest import TESTER
from foreign_formats import row_counts
from http_media_server import MediaServer, serve_folder
from rosetta.core.errors import ImportFailed
from rosetta.core.ontology import Ontology
from rosetta.services.format_io import import_foreign
from rosetta.services.projects import create_project

#: Each format's root element, and the name of the file to import.
ROOTS = {
    "voc": ("annotation", "a.xml"),
    "cvat-images": ("annotations", "annotations.xml"),
    "cvat-video": ("annotations", "annotations.xml"),
    "elan": ("ANNOTATION_DOCUMENT", "talk.eaf"),
}


@pytest.fixture
def internal(tmp_path: Path) -> Iterator[MediaServer]:
    """A server on loopback standing for an internal service, with a file to steal."""
    folder = tmp_path / "internal"
    folder.mkdir()
    (folder / "secret.dtd").write_text('<!ENTITY secret "the database password">')
    with serve_folder(folder) as server:
        yield server


def _documents(root: str, server: str) -> dict[str, tuple[str, int]]:
    """The attacks on a document whose root is `root`: text, and the line that is refused."""
    blob = "A" * 100_000
    uses = "&big;" * 10_000
    return {
        "quadratic-blowup": (
            f'<?xml version="1.0"?>\n<!DOCTYPE {root} [\n<!ENTITY big "{blob}">\n]>\n'
            f"<{root}>{uses}</{root}>\n",
            3,
        ),
        "external-file": (
            f'<?xml version="1.0"?>\n<!DOCTYPE {root} [\n'
            f'<!ENTITY secret SYSTEM "file:///etc/passwd">\n]>\n<{root}>&secret;</{root}>\n',
            3,
        ),
        "external-loopback": (
            f'<?xml version="1.0"?>\n<!DOCTYPE {root} [\n'
            f'<!ENTITY secret SYSTEM "{server}secret.dtd">\n]>\n<{root}>&secret;</{root}>\n',
            3,
        ),
        "parameter-entity": (
            f'<?xml version="1.0"?>\n<!DOCTYPE {root} [\n'
            f'<!ENTITY % remote SYSTEM "{server}secret.dtd">\n%remote;\n]>\n'
            f"<{root}>&secret;</{root}>\n",
            3,
        ),
        "metadata-address": (
            f'<?xml version="1.0"?>\n<!DOCTYPE {root} [\n'
            '<!ENTITY meta SYSTEM "http://169.254.169.254/latest/meta-data/">\n]>\n'
            f"<{root}>&meta;</{root}>\n",
            3,
        ),
    }


ATTACKS = list(_documents("x", "http://127.0.0.1/"))


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("name", sorted(ROOTS))
def test_entities_are_refused_and_nothing_is_fetched_or_written(
    *,
    engine: Engine,
    demo_ontology: Ontology,
    internal: MediaServer,
    tmp_path: Path,
    name: str,
    attack: str,
) -> None:
    root, filename = ROOTS[name]
    text, line = _documents(root, internal.url)[attack]
    path = tmp_path / filename
    path.write_text(text)
    project = create_project(engine, "xml", demo_ontology, TESTER)

    with pytest.raises(ImportFailed) as failed:
        import_foreign(engine, project.id, name, path, TESTER)

    assert (failed.value.file, failed.value.line) == (str(path), line)
    assert "not allowed" in failed.value.detail
    assert "database password" not in str(failed.value)
    assert internal.seen.requests == []
    assert row_counts(engine) == (0, 0, 0, 0)


@pytest.mark.parametrize("name", sorted(ROOTS))
def test_an_external_dtd_is_never_fetched(
    engine: Engine, demo_ontology: Ontology, internal: MediaServer, tmp_path: Path, name: str
) -> None:
    root, filename = ROOTS[name]
    path = tmp_path / filename
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE {root} SYSTEM "{internal.url}secret.dtd">\n'
        f"<{root}>&secret;</{root}>\n"
    )
    project = create_project(engine, "xml", demo_ontology, TESTER)

    try:
        import_foreign(engine, project.id, name, path, TESTER)
    except ImportFailed as failed:  # the DTD is not read: nothing it declares is known
        assert failed.file == str(path)

    assert internal.seen.requests == []
    assert row_counts(engine)[1:] == (0, 0, 0)
