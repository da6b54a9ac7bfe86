"""The browser-test setup works end to end: Debian's Chromium, driven by
Playwright, loads the vendored htmx (with its SSE extension) and uPlot from a
local HTTP server, htmx swaps in a fragment, and uPlot draws a chart."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web.browser import ROOT, screenshot

VENDOR = ROOT / "golive" / "data" / "web" / "static" / "vendor"

INDEX = """\
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>golive browser smoke</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/static/vendor/uPlot.min.css">
  <script src="/static/vendor/htmx.min.js"></script>
  <script src="/static/vendor/htmx-ext-sse.min.js"></script>
  <script src="/static/vendor/uPlot.iife.min.js"></script>
  <style>body { font-family: "DejaVu Sans", sans-serif; margin: 24px; }</style>
</head>
<body>
  <h1 id="title">golive dashboard smoke test</h1>
  <button id="load" hx-get="/fragment.html" hx-target="#out" hx-swap="innerHTML">Load</button>
  <div id="out">not loaded yet</div>
  <div id="chart"></div>
  <script>
    new uPlot(
      {title: "error rate", width: 600, height: 240,
       series: [{}, {label: "errors", stroke: "red"}]},
      [[1, 2, 3, 4, 5], [0.5, 0.7, 0.2, 0.9, 0.4]],
      document.getElementById("chart"),
    );
  </script>
</body>
</html>
"""

FRAGMENT = '<p id="swapped">Loaded by htmx</p>'


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """A static site in a temp dir, served on 127.0.0.1 (a port the OS picks)
    from a thread; yields its base URL."""
    assert (VENDOR / "htmx.min.js").is_file(), f"vendored JavaScript missing in {VENDOR}"
    shutil.copytree(VENDOR, tmp_path / "static" / "vendor")
    (tmp_path / "index.html").write_text(INDEX, encoding="utf-8")
    (tmp_path / "fragment.html").write_text(FRAGMENT, encoding="utf-8")
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="smoke-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_chromium_loads_the_vendored_htmx_and_uplot(page: Page, site: str) -> None:
    errors: list[str] = []
    failed: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)

    page.goto(f"{site}/index.html")

    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("window.htmx.version") == "2.0.11"
    assert page.evaluate("typeof window.uPlot") == "function"
    expect(page.locator("#title")).to_have_text("golive dashboard smoke test")
    expect(page.locator("#out")).to_have_text("not loaded yet")

    page.click("#load")
    expect(page.locator("#out #swapped")).to_have_text("Loaded by htmx")

    expect(page.locator("#chart .uplot canvas")).to_have_count(1)
    expect(page.locator("#chart .u-title")).to_have_text("error rate")

    path = screenshot(page, "smoke")
    assert path.is_file() and path.stat().st_size > 0
    assert errors == [], f"JavaScript errors: {errors}"
    assert failed == [], f"failed requests: {failed}"
