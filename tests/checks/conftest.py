"""Fixtures for the checks tests come from tests/services.py, registered in tests/conftest.py."""
