"""What a release recorded: the audit of its log, the report, the events, and
the events as Server-Sent Events."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, StreamingResponse

from golive.auth.principal import Principal
from golive.web.api.common import release_service, web_context, who

router = APIRouter()


@router.get("/releases/{release_id}/audit")
def audit(
    release_id: str,
    request: Request,
    head: Annotated[str | None, Query(max_length=100, description="SEQ:HASH kept elsewhere")] = None,
    _: Principal = who("read"),
) -> dict[str, Any]:
    from golive.store.chain import parse_anchor

    result = release_service(request).audit(release_id, anchor=parse_anchor(head) if head else None)
    return {
        "release": release_id,
        "events": result.events,
        "mode": result.mode,
        "mode_name": result.mode_name,
        "exit_code": result.exit_code,
        "intact": not result.findings and result.hashes_checked,
        "hashes_checked": result.hashes_checked,
        "findings": [str(f) for f in result.findings],
        "notes": list(result.notes),
    }


@router.get("/releases/{release_id}/audit/head")
def audit_head(release_id: str, request: Request, _: Principal = who("read")) -> dict[str, Any]:
    row = web_context(request).store.get_release(release_id)
    return {
        "release": row.id,
        "seq": row.head_seq,
        "hash": row.head_hash,
        "mode": row.audit_mode,
        "anchor": f"{row.head_seq}:{row.head_hash}",
    }


def _report(request: Request, release_id: str) -> tuple[str, str]:
    from golive.report import write_report

    with tempfile.TemporaryDirectory(prefix="golive-report-") as tmp:
        files = write_report(web_context(request).store, release_id, Path(tmp))
        return files.markdown.read_text(encoding="utf-8"), files.html.read_text(encoding="utf-8")


@router.get("/releases/{release_id}/report.md", response_class=PlainTextResponse)
def report_markdown(release_id: str, request: Request, _: Principal = who("read")) -> PlainTextResponse:
    return PlainTextResponse(_report(request, release_id)[0], media_type="text/markdown; charset=utf-8")


@router.get("/releases/{release_id}/report.html", response_class=HTMLResponse)
def report_html(release_id: str, request: Request, _: Principal = who("read")) -> HTMLResponse:
    # the report is self-contained: its own styles, an embedded chart, no script at all
    return HTMLResponse(
        _report(request, release_id)[1],
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"},
    )


@router.get("/releases/{release_id}/events")
def events(
    release_id: str,
    request: Request,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    _: Principal = who("read"),
) -> list[dict[str, Any]]:
    from golive.release.views import event_view

    store = web_context(request).store
    store.get_release(release_id)
    return [event_view(e) for e in store.events(release_id, after=after)[:limit]]


@router.get(
    "/releases/{release_id}/events/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def event_stream(
    release_id: str,
    request: Request,
    after: Annotated[int, Query(ge=0)] = 0,
    _: Principal = who("read"),
) -> StreamingResponse:
    """The release's events as Server-Sent Events (``id`` is the event's seq),
    from ``Last-Event-ID`` (or ``after``) on, then live."""

    from golive.release.views import event_view

    ctx = web_context(request)
    head = (await asyncio.to_thread(ctx.store.get_release, release_id)).head_seq
    last = request.headers.get("last-event-id", "").strip()
    start = int(last) if last.isascii() and last.isdigit() else after
    stream = ctx.feeds().stream(release_id, start, head, event_view, request.is_disconnected)

    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
