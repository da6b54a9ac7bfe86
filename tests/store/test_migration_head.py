"""golive skips Alembic at start-up when the database is at HEAD: HEAD must be Alembic's head."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from golive.store.db import MIGRATIONS, current_revision, make_engine, migrate
from golive.store.migrations import HEAD


def test_head_constant_is_alembics_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD


def test_a_new_database_is_migrated_to_head(tmp_path: Path) -> None:
    engine = make_engine(str(tmp_path / "g.db"))
    try:
        assert current_revision(engine) is None
        migrate(engine)
        assert current_revision(engine) == HEAD
        migrate(engine)  # a no-op at head
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()
