"""Every page of the dashboard renders a release of each of the five seed
runbooks, each in its own shape (open-ended phases, no rollout plan, tables of
sign-offs, hold points), with a rollout started on one of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from golive.release.service import ReleaseService
from tests.conftest import SEED_NAMES, seed_path
from tests.web.conftest import Web

PAGES = ("", "/board", "/runbook", "/report")


@pytest.mark.parametrize("seed", sorted(SEED_NAMES))
def test_every_page_renders_a_release_of_each_seed(web: Web, seed: str) -> None:
    service = ReleaseService(web.store, web.config)
    launch = datetime.now(UTC) - timedelta(hours=2)  # after T-0: phases overdue, hypercare open
    rid = service.start(
        seed_path(seed),
        service=f"seed{seed}",
        version="1.0",
        env="production",
        launch=launch,
        tz="UTC",
        actor="olga",
    )
    with web.client("vic") as client:
        for page in PAGES:
            answer = client.get(f"/releases/{rid}{page}")
            assert answer.status_code == 200, (seed, page, answer.text[:500])
            assert "Traceback" not in answer.text
            assert answer.headers["content-type"].startswith("text/html")
        listing = client.get("/")
        assert listing.status_code == 200 and rid in listing.text
