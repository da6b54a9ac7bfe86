"""Property-based tests of the REST API against its own OpenAPI document:
schemathesis generates requests for every operation of ``/openapi.json`` (its
examples, coverage and fuzzing phases, valid and invalid data) and sends them,
with an admin's token, to the real server of the ``web`` fixture.

Every answer must be no server error (never a 5xx) and, where the document
declares a schema for the answer's status code, conform to it (the API
declares its error shape for 401, 403, 404, 409 and 422, so error bodies are
checked too). Most generated path parameters are swapped for real ones (a
started release, its items) so that requests get past "not found" into the
services.

The schema is built at import (``create_app(...).openapi()``, the document the
server serves, which a test checks) because schemathesis' lazy
``from_fixture`` loader does not work with this pytest (it reads
``Node._nodeid``, which pytest 9 no longer has).

The event stream (``GET .../events/stream``) is left out: it never ends, and
schemathesis reads whole bodies over HTTP; ``test_api`` covers it.
"""

from __future__ import annotations

import zlib
from datetime import timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.core.failures import FailureGroup, ServerError
from schemathesis.openapi.checks import JsonSchemaError

from golive.clock import SystemClock
from golive.config import Config
from golive.store.events import EventStore
from golive.web.app import create_app
from tests.web.conftest import Web, start_release

MAX_EXAMPLES = 15
STREAM = r"/events/stream$"


def _document() -> dict[str, Any]:
    store = EventStore.open("sqlite://", migrate=False)
    try:
        return create_app(store, Config(), SystemClock()).openapi()
    finally:
        store.close()


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT).exclude(path_regex=STREAM)


@pytest.fixture(scope="module")
def real(web: Web) -> dict[str, list[str]]:
    """Path parameter -> real values to use instead of most generated ones."""
    release = start_release(web)
    with web.client("ana") as client:
        items = client.get(f"/api/v1/releases/{release}/items").json()
    return {"release_id": [release], "item_id": [item["id"] for item in items[:5]]}


def test_served_document_is_the_one_tested(web: Web) -> None:
    with web.client() as client:
        served = client.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == DOCUMENT
    operations = {(m.upper(), p) for p, ops in DOCUMENT["paths"].items() for m in ops}
    assert ("POST", "/api/v1/releases/{release_id}/signoffs") in operations
    assert len(operations) >= 40


def test_errors_are_documented_with_their_real_shape() -> None:
    """The document declares the error body the API answers, not FastAPI's
    ``{"detail": [...]}``: otherwise the conformance check could not see a
    wrong error body, and clients would read the wrong shape."""
    operation = DOCUMENT["paths"]["/api/v1/releases/{release_id}/signoffs"]["post"]
    for status in ("401", "403", "404", "409", "422"):
        ref = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        body = DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        assert body["required"] == ["error"], status
        detail_ref = body["properties"]["error"]["$ref"].rsplit("/", 1)[-1]
        detail = DOCUMENT["components"]["schemas"][detail_ref]
        assert set(detail["required"]) == {"code", "message", "field"}, status


def _real_path(case: Any, real: dict[str, list[str]]) -> None:
    """Swap nine generated values in ten (chosen by the value itself, so runs
    repeat) for real ones."""
    for name, values in real.items():
        if case.path_parameters and name in case.path_parameters:
            pick = zlib.crc32(str(case.path_parameters[name]).encode())
            if pick % 10:
                case.path_parameters[name] = values[pick % len(values)]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: Any, web: Web, real: dict[str, list[str]]) -> None:
    _real_path(case, real)
    response = case.call_and_validate(
        base_url=web.url,
        headers=web.as_user("ana"),
        checks=[not_a_server_error, response_schema_conformance],
        timeout=30,
    )
    assert "Traceback" not in response.text


def _answer(web: Web, status: int, body: dict[str, Any], path: str) -> httpx.Response:
    answer = httpx.Response(status, json=body, request=httpx.Request("GET", f"{web.url}{path}"))
    answer.elapsed = timedelta(milliseconds=1)
    return answer


def test_the_checks_fail_on_what_they_should(web: Web) -> None:
    """The checks used above do fail on a 5xx and on a wrong error body, and pass
    the server's real answer (so a green run means something)."""
    operation = schema["/api/v1/releases/{release_id}/status"]["GET"]
    path = "/api/v1/releases/no-such-release/status"
    with web.client("vic") as client:
        real = client.get(path)
    assert real.status_code == 404
    case = operation.Case(path_parameters={"release_id": "no-such-release"})
    checks = [not_a_server_error, response_schema_conformance]
    case.validate_response(real, checks=checks)
    with pytest.raises(FailureGroup) as server_error:
        case.validate_response(_answer(web, 500, real.json(), path), checks=checks)
    assert [type(e) for e in server_error.value.exceptions] == [ServerError]
    with pytest.raises(FailureGroup) as wrong_body:
        case.validate_response(_answer(web, 404, {"detail": "Not Found"}, path), checks=checks)
    assert [type(e) for e in wrong_body.value.exceptions] == [JsonSchemaError]
