"""Contract, concurrency, tamper-evidence and crash tests of the event store, on SQLite and PostgreSQL."""
