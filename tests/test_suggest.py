"""golive suggest: checks proposed from a runbook's own words, as an overlay.

The end-to-end case runs the real CLI against a real HTTP server on 127.0.0.1:
suggest an overlay from a curl line, then check the runbook with it while the
server answers 200, then 500, then hangs.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from golive.runbook.annotations import load_overlay
from golive.runbook.loader import load_runbook
from golive.suggest import SuggestReport, render_overlay, suggest
from golive.suggest.shell import block_lines, find_curl, parse_curl
from tests.conftest import run_golive, seed_path

# ---------------------------------------------------------------- end to end


class _Server:
    """A real HTTP server whose answer the test switches: ok, fail or hang."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if server.mode == "hang":
                    server.release.wait(5)
                status = 500 if server.mode == "fail" else 200
                body = b'{"status": "healthy"}' if status == 200 else b'{"status": "broken"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    with _Server() as running:
        yield running


def _runbook(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "RUNBOOK.md"
    path.write_text(
        "# Payments API go-live\n"
        "\n"
        "## Verification\n"
        "\n"
        f"- [ ] Health endpoint answers: `curl -f http://127.0.0.1:{port}/health`\n"
        "- [ ] Announce the release in #releases\n",
        encoding="utf-8",
    )
    return path


def test_suggested_overlay_checks_a_real_server(tmp_path: Path, server: _Server) -> None:
    runbook = _runbook(tmp_path, server.port)
    before = hashlib.sha256(runbook.read_bytes()).hexdigest()
    overlay = tmp_path / "overlay.yaml"

    result = run_golive("suggest", str(runbook), "-o", str(overlay))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "1 of 1 machine-verifiable items compiled (100%)" in result.stderr
    text = overlay.read_text(encoding="utf-8")
    assert f'# RUNBOOK.md:5: "Health endpoint answers: curl -f http://127.0.0.1:{server.port}/health"' in text
    assert f"http GET http://127.0.0.1:{server.port}/health; expect status < 400" in text
    entry = yaml.safe_load(text)["items"][0]
    assert entry["match"]["id"].startswith("verification/health-endpoint-answers")
    (check,) = entry["checks"]
    assert check == {
        "kind": "http",
        "url": f"http://127.0.0.1:{server.port}/health",
        "expect": ["status < 400"],
        "timeout": "10s",
    }
    assert hashlib.sha256(runbook.read_bytes()).hexdigest() == before, "suggest must never edit the runbook"

    server.mode = "ok"
    ok = run_golive("check", str(runbook), "--overlay", str(overlay), "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert [r["status"] for r in json.loads(ok.stdout)["results"]] == ["passed"]

    server.mode = "fail"
    failed = run_golive("check", str(runbook), "--overlay", str(overlay), "--json")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    (result,) = json.loads(failed.stdout)["results"]
    assert result["status"] == "failed" and result["observed"]["status"] == 500

    server.mode = "hang"
    short = tmp_path / "short.yaml"
    result = run_golive("suggest", str(runbook), "--timeout", "1s", "-o", str(short))
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(short.read_text(encoding="utf-8"))["items"][0]["checks"][0]["timeout"] == "1s"
    started = time.monotonic()
    hung = run_golive("check", str(runbook), "--overlay", str(short), "--json")
    assert hung.returncode == 1, hung.stdout + hung.stderr
    (result,) = json.loads(hung.stdout)["results"]
    assert result["status"] == "error" and "timed out" in (result["message"] or "")
    assert time.monotonic() - started < 30


def test_suggest_prints_overlay_on_stdout_and_json_report(tmp_path: Path) -> None:
    runbook = _runbook(tmp_path, 9)
    shown = run_golive("suggest", str(runbook))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("# Checks proposed by `golive suggest`")
    assert yaml.safe_load(shown.stdout)["golive_overlay"] == 1
    assert "golive suggest: RUNBOOK.md: 1 of 1" in shown.stderr

    as_json = run_golive("suggest", str(runbook), "--json")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["items"] == 2 and data["machine_verifiable"] == 1 and data["compiled"] == 1
    assert data["share"] == 1.0
    (proposal,) = data["proposals"]
    assert proposal["rule"] == "curl" and proposal["line"] == 5 and proposal["check"]["kind"] == "http"


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (["--base-url", "not-a-url"], "--base-url"),
        (["--prometheus-url", "ftp://x"], "--prometheus-url"),
        (["--timeout", "0s"], "--timeout"),
        (["--timeout", "soon"], "--timeout"),
        (["--host", "https://example.com/"], "--host"),
    ],
)
def test_bad_options_exit_2(tmp_path: Path, args: list[str], where: str) -> None:
    result = run_golive("suggest", str(_runbook(tmp_path, 9)), *args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"golive: error: {where}: ")
    assert "Traceback" not in result.stderr


def test_missing_runbook_exits_2(tmp_path: Path) -> None:
    result = run_golive("suggest", str(tmp_path / "nope.md"))
    assert result.returncode == 2 and "file not found" in result.stderr


def test_items_with_checks_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "r.md"
    path.write_text(
        "# R\n\n## Checks\n\n"
        "- [ ] Health: `curl -f http://127.0.0.1:9/health` "
        "<!-- golive: {checks: [{kind: tcp, host: 127.0.0.1, port: 9}]} -->\n"
        "- [ ] `DATABASE_URL` set\n",
        encoding="utf-8",
    )
    report = suggest(load_runbook(path))
    assert report.items == 2 and report.with_checks == 1
    assert [p.rule for p in report.proposals] == ["env"]
    assert report.proposals[0].check == {"kind": "env", "names": ["DATABASE_URL"], "timeout": "10s"}


def _prose(tmp_path: Path, *items: str) -> SuggestReport:
    path = tmp_path / "prose.md"
    path.write_text("# R\n\n## Checks\n\n" + "".join(f"- [ ] {i}\n" for i in items), encoding="utf-8")
    return suggest(load_runbook(path))


def test_latency_joins_the_items_own_request(tmp_path: Path) -> None:
    report = _prose(tmp_path, "API response time < 300ms: `curl -f http://127.0.0.1:9/api`")
    (proposal,) = report.proposals
    assert proposal.check["expect"] == ["status < 400", "latency < 300ms"]


def test_trouble_thresholds_expect_the_healthy_side(tmp_path: Path) -> None:
    report = _prose(tmp_path, "Error rate > 2% for 5 minutes", "Cache hit rate < 40%", "Uptime > 99.5%")
    assert [p.check["expect"] for p in report.proposals] == [
        ["value <= 0.02"],
        ["value >= 0.4"],
        ["value > 0.995"],
    ]
    assert report.proposals[0].check["url"] == "${PROMETHEUS_URL}"


def test_quoted_log_marker(tmp_path: Path) -> None:
    report = _prose(tmp_path, 'Logs show "Server started on port 8000"')
    (proposal,) = report.proposals
    assert proposal.check == {
        "kind": "log",
        "path": "{log_path}",
        "contains": ["Server started on port 8000"],
        "timeout": "10s",
    }


def test_relative_path_without_any_base_url_is_reported_not_guessed(tmp_path: Path) -> None:
    report = _prose(tmp_path, "`GET /api/version` returns 200")
    assert report.proposals == [] and report.machine_verifiable == 1 and report.compiled == 0
    assert report.unresolved[0].reason == "needs a real value for {base_url}: pass --base-url"


# ---------------------------------------------------------------- seeds


def _report(key: str, **options: Any) -> SuggestReport:
    return suggest(load_runbook(seed_path(key)), **options)


SHARE_FLOORS = {"001": 0.8, "002": 0.9, "003": 0.75, "004": 0.55}
COMPILED_FLOORS = {"001": 8, "002": 30, "003": 10, "004": 22}


@pytest.mark.parametrize("key", ["000", "001", "002", "003", "004"])
def test_seed_share_and_overlay_applies(key: str, tmp_path: Path) -> None:
    report = _report(key)
    if key == "000":
        # an index of links to files that are not there: nothing a machine can verify
        assert report.share is None or report.share >= 0.5
    else:
        assert report.share is not None and report.share >= SHARE_FLOORS[key], report.summary()
        assert report.compiled >= COMPILED_FLOORS[key], report.summary()
        assert report.share >= 0.5
    assert not [u for u in report.unresolved if "does not validate" in u.reason], report.unresolved
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(render_overlay(report), encoding="utf-8")
    parsed = load_overlay(overlay)
    assert len(parsed.items) == len({p.item for p in report.proposals if p.item})
    runbook = load_runbook(seed_path(key), overlay=overlay)  # validates every check
    attached = sum(len(item.checks) for item in runbook.all_items())
    assert attached == len([p for p in report.proposals if p.item])
    for rule in parsed.items:
        assert rule.match_id is not None


def test_seed_overlay_comments_quote_each_sentence() -> None:
    report = _report("002")
    text = render_overlay(report)
    assert '# 002_7cbc8d121bf5dabd.txt:143: "curl http://localhost:8000/api/v1/health"' in text
    assert '# 002_7cbc8d121bf5dabd.txt:173: "Error rate < 1%"' in text
    for proposal in report.proposals:
        assert f"{proposal.file}:{proposal.line}:" in text


def _one(report: SuggestReport, *, line: int, kind: str | None = None) -> dict[str, Any]:
    found = [
        p
        for p in report.proposals
        if (p.line == line or p.item_line == line) and (kind is None or p.check["kind"] == kind)
    ]
    assert len(found) == 1, [(p.line, p.rule, p.check) for p in report.proposals if abs(p.line - line) < 5]
    return found[0].check


def test_seed_001_spot_checks() -> None:
    report = _report("001")
    health = _one(report, line=105)
    assert health["kind"] == "http" and health["url"] == "https://your-domain.com/api/health"
    snapshot = _one(report, line=83)
    assert snapshot["url"].endswith("/api/entitlements/snapshot") and snapshot["expect"] == ["status == 200"]
    fields = _one(report, line=84)
    assert fields["kind"] == "http" and fields["url"] == snapshot["url"]
    assert fields["expect"] == ["has(json.server_time) && has(json.ttl_seconds)"]
    verify = _one(report, line=93)
    assert verify["method"] == "POST" and verify["expect"] == ["status >= 400 && status < 500"]
    secret = _one(report, line=131)
    assert secret["kind"] == "env" and secret["names"] == ["REVENUECAT_WEBHOOK_SECRET"]
    markers = next(p for p in report.proposals if p.line == 45)
    assert markers.check["kind"] == "log" and markers.item is None
    assert "Production configuration validated: all required secrets present" in markers.check["contains"]
    webhook = _one(report, line=99)
    assert webhook["kind"] == "log" and webhook["contains"] == ["Received webhook event_id="]


def test_seed_001_relative_paths_use_base_url_option() -> None:
    report = _report("001", base_url="https://api.example.test/")
    assert _one(report, line=83)["url"] == "https://api.example.test/api/entitlements/snapshot"
    assert _one(report, line=84)["url"] == "https://api.example.test/api/entitlements/snapshot"


def test_seed_002_spot_checks() -> None:
    report = _report("002", prometheus_url="http://prometheus.test:9090")
    error_rate = _one(report, line=173)
    assert error_rate["kind"] == "metric" and error_rate["source"] == "prometheus"
    assert error_rate["url"] == "http://prometheus.test:9090"
    assert error_rate["query"] == (
        'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))'
    )
    assert error_rate["expect"] == ["value < 0.01"]
    # a rollback criterion states the bad condition: the check expects the healthy side
    assert _one(report, line=192)["expect"] == ["value <= 0.05"]
    assert _one(report, line=199)["expect"] == ["ratio <= 5"]
    p95 = _one(report, line=243)
    assert p95["query"].startswith("histogram_quantile(0.95,") and p95["expect"] == ["value < 0.5"]
    backup = _one(report, line=95)
    assert backup == {"kind": "file", "path": "{backup_path}", "max_age": "2h", "timeout": "10s"}
    alembic = _one(report, line=128)
    assert alembic["kind"] == "command" and alembic["argv"][-2:] == ["alembic", "current"]
    assert alembic["expect"] == ["exit_code == 0"]
    health = _one(report, line=141)
    assert health["url"] == "http://localhost:8000/api/v1/health" and health["expect"] == ["status < 400"]
    detailed = _one(report, line=145)
    assert detailed["url"] == "http://localhost:8000/api/v1/health/detailed"
    assert _one(report, line=22)["names"] == ["DATABASE_URL"]
    tests = [p.check for p in report.proposals if p.item_line == 90]
    assert tests == [
        {
            "kind": "command",
            "run": "cd backend && pytest tests/ -v && cd ../CashApp-iOS/CashAppPOS && npm test",
            "expect": ["exit_code == 0"],
            "timeout": "10m",
        }
    ]
    # work commands (deploy, git pull, logs -f) are never proposed as checks
    assert not [p for p in report.proposals if p.item_line in (110, 117, 121)]


def test_seed_003_spot_checks() -> None:
    report = _report("003")
    head = _one(report, line=100)
    assert head == {
        "kind": "http",
        "url": "https://alaskapay.com",
        "method": "HEAD",
        "expect": ["status < 400"],
        "timeout": "10s",
    }
    tls = _one(report, line=33)
    assert tls["kind"] == "tls" and tls["host"] == "alaskapay.com"
    diff = _one(report, line=109)
    assert diff["argv"] == ["npx", "supabase", "db", "diff"]
    assert _one(report, line=212)["expect"] == ["value <= 0.05"]


def test_seed_004_spot_checks() -> None:
    report = _report("004", host="bookedbarber.example")
    tls = _one(report, line=49)
    assert tls["kind"] == "tls" and tls["host"] == "bookedbarber.example"
    assert "days_left >= 60" in tls["expect"]
    assert _one(report, line=89)["query"].startswith("histogram_quantile(0.95, sum by (le) (rate(db_query")
    check = _one(report, line=43)
    assert check["argv"] == ["./launch/scripts/infrastructure-health-check.sh", "--environment", "production"]
    unresolved = {u.line: u.reason for u in report.unresolved}
    assert "no health endpoint" in unresolved[645]


def test_seed_004_without_host_uses_placeholder() -> None:
    report = _report("004")
    assert _one(report, line=49)["host"] == "{host}"
    assert "{host}" in report.placeholders and "${PROMETHEUS_URL}" in report.placeholders


# ---------------------------------------------------------------- curl reading


def test_parse_curl_options() -> None:
    args = find_curl(
        "curl -fsS -X PUT -H 'Authorization: Bearer $TOKEN' -H \"Accept: application/json\" "
        "--data '{\"a\": 1}' --max-time 5 --retry 3 https://api.test/v1/things | jq .data"
    )
    assert args is not None
    request = parse_curl(args)
    assert request is not None
    assert request.url == "https://api.test/v1/things"
    assert request.method == "PUT" and request.fail
    assert request.headers == {"Authorization": "Bearer $TOKEN", "Accept": "application/json"}
    assert request.json == {"a": 1} and request.body is None
    assert request.timeout == "5s" and request.retries == 3


def test_parse_curl_head_post_and_plain_hosts() -> None:
    head = parse_curl(find_curl("curl -I https://alaskapay.com") or [])
    assert head is not None and head.method == "HEAD"
    post = parse_curl(find_curl("cd x && curl -d a=1 localhost:8000/form") or [])
    assert post is not None and post.method == "POST" and post.body == "a=1"
    assert post.url == "http://localhost:8000/form"
    assert find_curl("echo curl is great") is None
    assert parse_curl(find_curl("curl -s") or []) is None


def test_block_lines_join_continuations() -> None:
    runbook = load_runbook(seed_path("001"))
    section = runbook.find_section("health-check")
    assert section is not None
    lines = [(ln.line, ln.text) for ln in block_lines(section.code_blocks[0]) if not ln.comment]
    assert lines == [
        (105, "curl https://your-domain.com/api/health"),
        (108, 'curl -H "Authorization: Bearer <token>" https://your-domain.com/api/entitlements/snapshot'),
    ]
