"""What code is: the kind of an inline code span (http, env, command, path,
literal) and whether golive may run a code block (and why not)."""

from __future__ import annotations

import re

__all__ = ["classify_inline_code", "code_block_runnable"]

_SHELL_LANGS = {"bash", "sh", "shell", "zsh", "ksh", "console", "shell-session", "shellsession", "terminal"}
_PYTHON_LINE = re.compile(
    r"^\s*(?:@\w+(?:\.\w+)*\(|(?:async\s+)?def\s+\w+\s*\(|class\s+\w+.*:\s*$|from\s+\w+(?:\.\w+)*\s+import\s|"
    r"import\s+\w+\s*$|if\s+.+:\s*$|raise\s+\w+|return\s+[{\[(\w])"
)
_DNS_LINE = re.compile(
    r"^\s*(?:[\w.@*-]+\.?\s+)?(?:\d+\s+)?(?:IN\s+)?(?:A|AAAA|CNAME|MX|TXT|NS|SRV|CAA|ALIAS)\s+\S+", re.I
)
_QUOTED_LINE = re.compile(r"""^\s*(?:"[^"]*"|'[^']*')\s*$""")
_KNOWN_COMMANDS = frozenset(
    """npm npx yarn pnpm cd pytest python python3 pip pip3 curl wget git docker docker-compose kubectl helm
    terraform alembic make eas expo psql pg_dump pg_restore netlify fastlane bash sh node go cargo ls cat grep
    jq redis-cli systemctl ssh scp aws gcloud az flutter dart supabase heroku fly flyctl ansible mvn gradle
    ./gradlew rake bundle rails php composer dotnet java openssl dig nslookup nc telnet sudo export echo
    mongosh mysql sqlite3 uvicorn gunicorn celery vercel firebase gh tar rsync""".split()  # noqa: SIM905
)
_HTTP_METHOD = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+\S+")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,}(?:=\S*)?$")
_PATHISH = re.compile(
    r"^(?:[\w.-]*/[\w./{}:-]*|[\w-]+\.(?:md|py|tsx?|jsx?|json|ya?ml|toml|sh|sql|txt|env|cfg|ini))$"
)


def classify_inline_code(code: str) -> str:
    text = code.strip()
    if _HTTP_METHOD.match(text):
        return "http"
    if _ENV_NAME.match(text):
        return "env"
    first = text.split()[0] if text.split() else ""
    if first in _KNOWN_COMMANDS or first.startswith("./") or (" && " in text and " " in text):
        return "command"
    if _PATHISH.match(text):
        return "path"
    return "literal"


def code_block_runnable(language: str | None, code: str) -> tuple[bool, str]:
    """Whether golive may run a block, and why not when it may not."""
    if language is None:
        return False, "no language given; mark it ```sh to make it runnable"
    if language not in _SHELL_LANGS:
        return False, f"{language} is not a shell language; kept as reference"
    lines = [ln for ln in code.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return False, "only comments; nothing to run"
    if any(_PYTHON_LINE.match(ln) for ln in lines):
        return False, "contains Python, not shell; kept as reference"
    if all(_QUOTED_LINE.match(ln) for ln in lines):
        return False, "quoted text (log lines or markers), not commands; kept as reference"
    if all(_DNS_LINE.match(ln) for ln in lines):
        return False, "DNS records, not commands; kept as reference"
    if not _quotes_balanced(code):
        return False, "not valid shell (unbalanced quotes); kept as reference"
    return True, ""


def _quotes_balanced(code: str) -> bool:
    """Whether every quote in a shell text is closed (comments ignored)."""
    if "'" not in code and '"' not in code:
        return True
    quote: str | None = None
    escaped = False
    at_word_start = True
    skip_comment = False
    for ch in code:
        if skip_comment:
            if ch == "\n":
                skip_comment = False
                at_word_start = True
            continue
        if escaped:
            escaped = False
            continue
        if quote == "'":
            if ch == "'":
                quote = None
            continue
        if ch == "\\":
            escaped = True
            continue
        if quote == '"':
            if ch == '"':
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "#" and at_word_start:
            skip_comment = True
        at_word_start = ch in " \t\n;&|("
    return quote is None
