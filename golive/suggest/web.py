"""Rules that compile requests and endpoints: http, tls and dns checks.

Each rule is documented with the phrase it reads. Rules run in the order they
are registered; a rule sees the drafts earlier rules made for the same item.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from golive.suggest.engine import Draft, Miss, Subject, SuggestContext, SuggestRule, registry
from golive.suggest.shell import CurlRequest, block_lines, find_curl, parse_curl

__all__ = ["RULES", "expect_for", "http_check"]

RULES: list[SuggestRule] = []
rule = registry(RULES)

_NOT_500 = re.compile(r"\berror\b[^.]*\bnot 500\b|\(not 500\)|\b4xx\b", re.I)
_RETURNS_CODE = re.compile(
    r"(?:\breturns?|\brespond(?:s|ing)? with|→|->)\s*(?:an? )?(?:http |status )?([1-5]\d\d)\b", re.I
)
_RETURNS_OK = re.compile(
    r"\breturns? (?:valid|correct|expected|the) (?:data|json|response|payload)\b|\breturns? ok\b", re.I
)
_WEB_PATH = re.compile(
    r"^/(?:api|v\d+|health\w*|ready\w*|live\w*|status|ping|metrics|version)(?:[/?.]|$)", re.I
)
_URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>()\[\]`|]+")
_METHOD_LINE = re.compile(r"^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\s+(\S+)$")
_FIELD = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")
_RESPONSE_FIELDS = re.compile(
    r"\b(?:present|included|returned|exists?)\b[^.]*\bresponse\b|\bresponse\b[^.]*\b(?:contains?|includes?|has)\b",
    re.I,
)
_HEALTH = re.compile(r"\bhealth[ -]?(?:checks?|endpoints?)\b", re.I)
_HEALTH_NOT = re.compile(r"\b(?:configured|documented|alerts?|load balancer)\b", re.I)
_HOMEPAGE = re.compile(
    r"\b(?:home ?page|landing page|web ?site|site)\b[^.]*\b(?:loads?|up|available|reachable)\b", re.I
)
_TLS = re.compile(r"\b(?:ssl|tls|https)\b[^.]*\bcert|\bcertificates\b", re.I)
_TLS_VERB = re.compile(r"\b(?:valid\w*|verif\w*|install\w*|renew\w*|updat\w*|expir\w*|days)\b", re.I)
_DAYS = re.compile(r"\b(\d+)\s*days?\b", re.I)
_DNS = re.compile(
    r"\bdns\b[^.]*\b(?:configur\w*|records?|updat\w*|resolv\w*|propagat\w*|verif\w*|finali[sz]ed|correct\w*)",
    re.I,
)
_PLACEHOLDER_HOST = re.compile(r"your[-_]|example\.(?:com|org)|<[^>]+>", re.I)
DEFAULT_TLS_DAYS = 30


def expect_for(text: str, method: str, *, default: str) -> str:
    """The condition a sentence states about a response.

    - "returns error (not 500)", "4xx" -> ``status >= 400 && status < 500``
    - "returns 401", "→ 201" -> ``status == 401``
    - "returns valid data" -> ``status == 200``
    - otherwise ``default``.
    """
    if _NOT_500.search(text):
        return "status >= 400 && status < 500"
    match = _RETURNS_CODE.search(text)
    if match:
        return f"status == {match.group(1)}"
    if _RETURNS_OK.search(text):
        return "status == 200" if method in ("GET", "HEAD") else "status >= 200 && status < 300"
    return default


def http_check(
    ctx: SuggestContext, url: str, expect: list[str], request: CurlRequest | None = None
) -> dict[str, Any]:
    check: dict[str, Any] = {"kind": "http", "url": url}
    if request is not None:
        if request.method != "GET":
            check["method"] = request.method
        if request.headers:
            check["headers"] = dict(request.headers)
        if request.json is not None:
            check["json"] = request.json
        elif request.body is not None:
            check["body"] = request.body
    check["expect"] = expect
    stated = request.timeout if request is not None else None
    check["timeout"] = ctx.timeout or stated or ctx.timeout_for("http")
    if request is not None and request.retries:
        check["retries"] = request.retries
    return check


def _summary(check: dict[str, Any]) -> str:
    method = check.get("method", "GET")
    return f"http {method} {check['url']}; expect {' and '.join(check['expect'])}"


def _url_notes(url: str) -> list[str]:
    host = urlsplit(url).hostname or ""
    if _PLACEHOLDER_HOST.search(host):
        return [f"{host} looks like a placeholder: put the real host"]
    return []


def _header_notes(request: CurlRequest) -> list[str]:
    out = []
    for key, value in request.headers.items():
        if "<" in value or "$" in value:
            out.append(f"header {key} holds {value!r}: put a real value (or a secret from the environment)")
    return out


@rule(
    "curl",
    "`curl [-X METHOD] [-H 'K: V'] [-d BODY] [-f] [-I] URL` in the item's inline code, in a runnable code "
    "block of the item (or of a section with no item), or in its text; `| jq ...` is ignored",
)
def curl_rule(subject: Subject, ctx: SuggestContext, found: list[Draft]) -> Iterator[Draft | Miss]:
    sources: list[tuple[str, int, str]] = []  # shell text, line, sentence
    for code in subject.inline:
        if code.kind == "command" and "curl" in code.code:
            sources.append((code.code, code.line, subject.text))
    for block in subject.runnable_blocks():
        for code_line in block_lines(block):
            if not code_line.comment and "curl" in code_line.text:
                sources.append((code_line.text, code_line.line, code_line.text))
    if not sources and subject.item is not None:
        match = re.search(r"\bcurl\s.*?(?=\s+(?:and|then|to|should|must|returns?)\b|$)", subject.text)
        if match:
            sources.append((match.group(0), subject.line, subject.text))
    for text, line, sentence in sources:
        args = find_curl(text)
        if args is None:
            continue
        request = parse_curl(args)
        if request is None:
            yield Miss(reason="curl without a URL")
            continue
        default = "status < 400"
        expect = expect_for(subject.text, request.method, default=default)
        check = http_check(ctx, request.url, [expect], request)
        notes = [*request.notes, *_header_notes(request), *_url_notes(request.url)]
        if not request.fail and expect == default:
            notes.append("curl without -f succeeds on any answer; the check expects status < 400")
        yield Draft(check=check, sentence=sentence, line=line, summary=_summary(check), notes=notes)


@rule(
    "request-line",
    "a request line in inline code: '`GET /api/entitlements/snapshot` returns valid data', "
    "'`POST /api/purchases/verify` with invalid receipt → returns error (not 500)'",
    items_only=True,
)
def request_line_rule(subject: Subject, ctx: SuggestContext, found: list[Draft]) -> Iterator[Draft | Miss]:
    for code in subject.inline:
        match = _METHOD_LINE.match(code.code.strip())
        if code.kind != "http" or match is None:
            continue
        method, target = match.group(1), match.group(2)
        notes: list[str] = []
        if "://" in target:
            url = target
        elif target.startswith("/"):
            url, note = ctx.join(target)
            notes.extend([note] if note else [])
        else:
            yield Miss(reason=f"request line {code.code!r} has no path or URL")
            continue
        default = "status == 200" if method in ("GET", "HEAD") else "status >= 200 && status < 300"
        expect = expect_for(subject.text, method, default=default)
        request = CurlRequest(url=url, method=method)
        if method in ("POST", "PUT", "PATCH"):
            notes.append("no request body in the runbook: add 'json' or 'body' as the sentence describes")
        check = http_check(ctx, url, [expect], request)
        yield Draft(check=check, sentence=subject.text, line=code.line, summary=_summary(check), notes=notes)


@rule(
    "url",
    "an http(s) URL in the item's words, or an API path in its inline code "
    "('`/api/v1/health` - Basic health')",
    items_only=True,
)
def url_rule(subject: Subject, ctx: SuggestContext, found: list[Draft]) -> Iterator[Draft | Miss]:
    if any(d.check.get("kind") == "http" for d in found):
        return
    targets: list[tuple[str, int, list[str]]] = []
    for match in _URL_IN_TEXT.finditer(subject.text):
        url = match.group(0).rstrip(".,;:")
        targets.append((url, subject.line, _url_notes(url)))
    for code in subject.inline:
        path = code.code.strip()
        if code.kind in ("path", "literal") and _WEB_PATH.match(path) and " " not in path:
            url, note = ctx.join(path)
            targets.append((url, code.line, [note] if note else []))
    for url, line, notes in targets[:1]:
        expect = expect_for(subject.text, "GET", default="status == 200")
        check = http_check(ctx, url, [expect])
        yield Draft(check=check, sentence=subject.text, line=line, summary=_summary(check), notes=notes)


@rule(
    "response-fields",
    "'`server_time` and `ttl_seconds` present in response' (also 'response contains/includes `x`'): "
    "has(json.x) on the nearest preceding http proposal's request",
    items_only=True,
)
def response_fields_rule(subject: Subject, ctx: SuggestContext, found: list[Draft]) -> Iterator[Draft | Miss]:
    if not _RESPONSE_FIELDS.search(subject.text):
        return
    fields = [
        c.code.strip()
        for c in subject.inline
        if c.kind in ("literal", "env") and _FIELD.match(c.code.strip())
    ]
    if not fields:
        return
    previous = (
        next((d.check for d in reversed(found) if d.check.get("kind") == "http"), None) or ctx.last_http
    )
    if previous is None:
        yield Miss(reason="names response fields but no request comes before it")
        return
    keep = ("kind", "url", "method", "headers", "body", "json")
    check = {k: copy.deepcopy(previous[k]) for k in keep if k in previous}
    check["expect"] = [" && ".join(f"has(json.{name})" for name in fields)]
    check["timeout"] = previous.get("timeout", ctx.timeout_for("http"))
    yield Draft(
        check=check,
        sentence=subject.text,
        line=subject.line,
        summary=_summary(check),
        notes=[f"the request is the one proposed before it ({previous['url']})"],
    )


def _health_url(ctx: SuggestContext) -> tuple[str, str | None] | None:
    for url in ctx.urls:
        if "health" in urlsplit(url).path.lower():
            return url, None
    for path in ctx.paths:
        if "health" in path.lower():
            return ctx.join(path)
    return None


@rule(
    "health",
    "'Basic health check passing', 'Health checks passing', 'Health check validation': a GET of the "
    "health endpoint the runbook names elsewhere",
    items_only=True,
)
def health_rule(subject: Subject, ctx: SuggestContext, found: list[Draft]) -> Iterator[Draft | Miss]:
    if any(d.check.get("kind") == "http" for d in found):
        return
    if not _HEALTH.search(subject.text) or _HEALTH_NOT.search(subject.text):
        return
    found_url = _health_url(ctx)
    if found_url is None:
        yield Miss(reason="the runbook names no health endpoint: add an http check with its URL")
        return
    url, note = found_url
    check = http_check(ctx, url, ["status < 400"])
    notes = [note] if note else []
    notes.append(f"{url} is the health endpoint the runbook uses elsewhere")
    yield Draft(check=check, sentence=subject.text, line=subject.line, summary=_summary(check), notes=notes)


@rule(
    "homepage",
    "'Homepage loads', 'site is up': a GET of the site the runbook's own URLs point at",
    items_only=True,
)
def homepage_rule(subject: Subject, ctx: SuggestContext, found: list[Draft]) -> Iterator[Draft | Miss]:
    if any(d.check.get("kind") == "http" for d in found) or not _HOMEPAGE.search(subject.text):
        return
    origin = ctx.base_url.rstrip("/") if ctx.base_url else ctx.site_origin()
    notes: list[str] = []
    if origin is None:
        url, note = ctx.join("/")
        notes.extend([note] if note else [])
    else:
        url = origin + "/"
        notes.extend(_url_notes(url))
    check = http_check(ctx, url, ["status < 400"])
    yield Draft(check=check, sentence=subject.text, line=subject.line, summary=_summary(check), notes=notes)


@rule(
    "tls",
    "'SSL certificates valid', 'HTTPS/SSL certificates valid and installed', 'SSL certificates validated "
    "(minimum 60 days remaining)': tls with days_left >= the stated days (30 when none is stated)",
    items_only=True,
)
def tls_rule(subject: Subject, ctx: SuggestContext, found: list[Draft]) -> Iterator[Draft | Miss]:
    text = subject.text
    if not _TLS.search(text) or not _TLS_VERB.search(text):
        return
    days = next(
        (
            int(t.value)
            for t in (subject.item.thresholds if subject.item else [])
            if t.metric == "tls_days_remaining"
        ),
        None,
    )
    if days is None:
        match = _DAYS.search(text)
        days = int(match.group(1)) if match else None
    notes: list[str] = []
    if days is None:
        days = DEFAULT_TLS_DAYS
        notes.append(f"the sentence states no number of days: {DEFAULT_TLS_DAYS} assumed")
    host, note = ctx.https_host()
    notes.extend([note] if note else [])
    if host is None:
        host = "{host}"
    elif _PLACEHOLDER_HOST.search(host):
        notes.append(f"{host} looks like a placeholder: put the real host")
    check: dict[str, Any] = {
        "kind": "tls",
        "host": host,
        "port": 443,
        "expect": ["valid", "hostname_match", f"days_left >= {days}"],
        "timeout": ctx.timeout_for("tls"),
    }
    summary = f"tls {host}:443; expect a valid certificate for the host with at least {days} days left"
    yield Draft(check=check, sentence=text, line=subject.line, summary=summary, notes=notes)


@rule(
    "dns",
    "'DNS records configured', 'Domain DNS configured correctly': the site's name resolves",
    items_only=True,
)
def dns_rule(subject: Subject, ctx: SuggestContext, found: list[Draft]) -> Iterator[Draft | Miss]:
    if not _DNS.search(subject.text):
        return
    host, note = ctx.https_host()
    if host is None:
        yield Miss(reason="no host to resolve: pass --host")
        return
    check: dict[str, Any] = {"kind": "dns", "host": host, "timeout": ctx.timeout_for("dns")}
    notes = [note] if note else []
    notes.append("checks that the name resolves; add expect_addresses to verify the records themselves")
    yield Draft(
        check=check, sentence=subject.text, line=subject.line, summary=f"dns {host} resolves", notes=notes
    )
