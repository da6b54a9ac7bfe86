"""Alembic migrations of golive's database. ``HEAD`` is the newest revision; a
test checks it equals Alembic's own head."""

HEAD = "0005"
