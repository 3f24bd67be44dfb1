"""Reading several samples at once (`store.records.load_samples`, one query per table)
gives exactly what reading each alone gives (`load_sample`), in the order asked, and
leaves out ids that name no sample."""

from sqlalchemy import Engine

from conftest import TESTER
from rosetta.core.schema import Project
from rosetta.demo.build import demo_samples
from rosetta.services.importer import import_samples
from rosetta.store.records import load_sample, load_samples


def test_many_samples_read_at_once_are_each_read_alone(engine: Engine, project: Project) -> None:
    import_samples(engine, project.id, demo_samples(), TESTER)
    wanted = ["slideshow", "missing", "portrait", "spoken-1"]
    with engine.connect() as connection:
        together = load_samples(connection, wanted)
        alone = [load_sample(connection, ident) for ident in ("slideshow", "portrait", "spoken-1")]
    assert together == alone
    assert [s.id for s in together] == ["slideshow", "portrait", "spoken-1"]
    assert sum(len(s.links) for s in together) > 0 and together[0].entities
