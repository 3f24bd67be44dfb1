"""Membership in a list of ids bound as one parameter (`rosetta.store.id_lists.among`)."""

from pathlib import Path

from sqlalchemy import Column, Engine, MetaData, String, Table, delete, or_, select
from sqlalchemy.engine.default import CACHE_HIT

from rosetta.store.engine import open_store, write_transaction
from rosetta.store.id_lists import among
from rosetta.store.tables import annotations, entity_members

METADATA = MetaData()
THINGS = Table("id_list_things", METADATA, Column("id", String(64), primary_key=True))
SELECTED = select(THINGS.c.id).where(among(THINGS.c.id, "ids")).order_by(THINGS.c.id)
IDS = ["plain", "it's", 'a "quoted" one', "naïve ✓", "🐈‍⬛", "back\\slash", "comma,[x]"]


def test_the_ids_bound_select_exactly_those_rows_on_both_backends(engine: Engine) -> None:
    METADATA.create_all(engine)
    many = [f"n{index:05d}" for index in range(5000)]  # beyond SQLite's 999 placeholders
    with write_transaction(engine) as connection:
        connection.execute(THINGS.insert(), [{"id": ident} for ident in [*IDS, *many, "other"]])
    with engine.connect() as connection:
        assert sorted(connection.execute(SELECTED, {"ids": IDS}).scalars()) == sorted(IDS)
        assert connection.execute(SELECTED, {"ids": []}).scalars().all() == []
        assert connection.execute(SELECTED, {"ids": ["nope", "other"]}).scalars().all() == ["other"]
        assert len(connection.execute(SELECTED, {"ids": many}).all()) == 5000
    with write_transaction(engine) as connection:
        connection.execute(delete(THINGS).where(among(THINGS.c.id, "ids")), {"ids": many})
    with engine.connect() as connection:
        assert sorted(connection.execute(select(THINGS.c.id)).scalars()) == sorted([*IDS, "other"])


def test_the_statement_is_compiled_once_whatever_the_list(engine: Engine) -> None:
    METADATA.create_all(engine)
    with engine.connect() as connection:
        connection.execute(SELECTED, {"ids": ["a"]})
        for ids in (["a", "b"], [f"x{i}" for i in range(300)], []):
            result = connection.execute(SELECTED, {"ids": ids})
            assert result.context.cache_hit == CACHE_HIT


def test_sqlite_finds_the_ids_through_the_index(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'plans.db'}")
    statements = [
        select(annotations.c.id).where(among(annotations.c.id, "ids")),
        delete(entity_members).where(
            or_(among(entity_members.c.entity_id, "a"), among(entity_members.c.annotation_id, "b"))
        ),
    ]
    with engine.connect() as connection:
        for statement in statements:
            sql = str(statement.compile(dialect=engine.dialect))
            assert "= 1" not in sql
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", ("[]",) * sql.count("?"))
            steps = [str(row[3]) for row in plan]
            assert not any(
                step.startswith("SCAN ") and "json_each" not in step for step in steps
            ), steps
            assert any(step.startswith("SEARCH ") for step in steps), steps
    engine.dispose()
