"""Import of runbooks written in styles other than the seeds' (tests/data/styles).

Every style file is checked against an independent oracle: markdown-it-py's own
tokens, read directly (not golive's tree), give the lines of every task item and
every code block; the model must have exactly those. Then per-file spot checks of
texts, lines and attributes, CRLF and cp1252 variants, and a generated very long
document.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from golive.runbook.export import semantic, to_markdown
from golive.runbook.loader import load_runbook, parse_runbook_text
from golive.runbook.model import CodeBlock, Item, Runbook, Section
from tests.oracle import oracle_lines

STYLES = Path(__file__).resolve().parent / "data" / "styles"
STYLE_FILES = sorted(STYLES.glob("*.md"))

# --- the oracle -------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text, decoded here (UTF-8 with or without BOM, else cp1252)."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load(name: str) -> Runbook:
    return load_runbook(STYLES / name)


def task_at(runbook: Runbook, line: int) -> Item:
    found = [i for i in runbook.all_items() if i.line == line]
    assert len(found) == 1, f"{len(found)} items at line {line}"
    return found[0]


def code_at(runbook: Runbook, line: int) -> CodeBlock:
    found = [c for c in runbook.all_code_blocks() if c.line == line]
    assert len(found) == 1, f"{len(found)} code blocks at line {line}"
    return found[0]


def section(runbook: Runbook, title: str) -> Section:
    found = [s for s in runbook.walk_sections() if s.title == title]
    assert len(found) == 1, [s.title for s in runbook.walk_sections()]
    return found[0]


def depth_of(runbook: Runbook, target: Item) -> int:
    """Nesting depth of an item in its section (0: top level)."""

    def search(items: list[Item], depth: int) -> int | None:
        for item in items:
            if item is target:
                return depth
            found = search(item.items, depth + 1)
            if found is not None:
                return found
        return None

    for sec in runbook.walk_sections():
        found = search(sec.items, 0)
        if found is not None:
            return found
    raise AssertionError("item not found")


# --- every style file: nothing dropped --------------------------------------------------


def test_style_corpus_covers_the_styles() -> None:
    assert len(STYLE_FILES) >= 8, STYLE_FILES
    texts = {p.name: p.read_bytes() for p in STYLE_FILES}
    joined = b"\n".join(texts.values())
    assert any(b"\r\n" in data for data in texts.values()), "a CRLF file"
    assert any(data.startswith(b"---\n") for data in texts.values()), "YAML front matter"
    for needle in (
        b"\n===",
        b"\n~~~",
        b'```sh {"name"',
        b"\n    ./bin",
        b"> ```",
        b"> - [ ]",
        b"<details>",
        b"<table>",
    ):
        assert needle in joined, needle
    assert re.search(rb"\n {8,}[-*+] \[[ xX]\]", joined), "task lists nested 4+ levels"


@pytest.mark.parametrize("path", STYLE_FILES, ids=lambda p: p.name)
def test_style_file_nothing_dropped(path: Path) -> None:
    runbook = load_runbook(path)
    want_tasks, want_codes = oracle_lines(decode(path.read_bytes()))
    tasks = runbook.task_items()
    codes = list(runbook.all_code_blocks())
    assert want_tasks, "every style file has task items"
    assert {i.line for i in tasks} == want_tasks
    assert {c.line for c in codes} == want_codes
    assert len(tasks) == len(want_tasks)
    assert len(codes) == len(want_codes)
    assert all(i.file == path.name for i in runbook.all_items())


@pytest.mark.parametrize("path", STYLE_FILES, ids=lambda p: p.name)
def test_style_file_with_crlf_line_ends_imports_the_same(path: Path, tmp_path: Path) -> None:
    lf = decode(path.read_bytes())
    crlf = tmp_path / path.name
    crlf.write_bytes(lf.replace("\n", "\r\n").encode("utf-8"))
    a, b = parse_runbook_text(lf), load_runbook(crlf)
    assert semantic(b) == semantic(a)
    assert [(i.text, i.line) for i in b.all_items()] == [(i.text, i.line) for i in a.all_items()]
    assert [(c.code, c.line) for c in b.all_code_blocks()] == [(c.code, c.line) for c in a.all_code_blocks()]


@pytest.mark.parametrize("path", STYLE_FILES, ids=lambda p: p.name)
def test_style_file_round_trip(path: Path) -> None:
    runbook = parse_runbook_text(decode(path.read_bytes()))
    exported = to_markdown(runbook)
    again = parse_runbook_text(exported)
    assert semantic(again) == semantic(runbook)
    assert to_markdown(again) == exported


# --- spot checks, file by file ------------------------------------------------------------


def test_sre_numbered_procedure() -> None:
    rb = load("sre_numbered_procedure.md")
    assert rb.title == "Runbook: Payments API v3 Cutover (PAY-2291)"
    first = task_at(rb, 10)
    assert (first.kind, first.text) == ("step", "Confirm you have kubectl access to prod-eu-1 and prod-us-2:")
    assert [(c.line, c.language) for c in first.code_blocks] == [(12, "bash")]
    assert first.code_blocks[0].code.count("kubectl --context") == 2
    # "- a." sub-steps are a nested list under step 3
    flag = task_at(rb, 18)
    assert [(i.line, i.text) for i in flag.items] == [
        (20, "a. Open the flag page and check the targeting rules are empty."),
        (21, "b. Check the fallback value is false."),
    ]
    # "   a." lines without a list marker stay text of step 2, after its code block
    scale = task_at(rb, 31)
    assert [c.line for c in scale.code_blocks] == [33]
    assert scale.code_blocks[0].runnable
    assert scale.notes[0].text.startswith("a. Wait until all 12 pods are `Running`.\nb. If a pod")
    # numbered sub-steps with a fence under the first, and tasks under the third
    shift = task_at(rb, 41)
    assert [(i.line, i.kind) for i in shift.items] == [(42, "step"), (48, "step"), (49, "step")]
    assert shift.items[0].code_blocks[0].line == 44
    assert shift.items[0].code_blocks[0].code == './scripts/set-weight.sh payments-v3 "$WEIGHT"\n'
    assert [(i.line, i.text, i.checked) for i in shift.items[2].items] == [
        (50, "5% done", False),
        (51, "25% done", False),
        (52, "50% done", False),
        (53, "100% done", False),
    ]
    # an indented (4-space) code block inside a numbered step
    synthetic = code_at(rb, 57)
    assert synthetic in task_at(rb, 55).code_blocks
    assert (synthetic.language, synthetic.info) == (None, "")
    assert synthetic.code.startswith(
        "curl -fsS -X POST https://payments.internal.example.com/v3/synthetic \\\n"
    )
    # "1)" steps in the rollback section
    rollback = section(rb, "Rollback")
    assert [(i.line, i.kind, [c.line for c in i.code_blocks]) for i in rollback.items] == [
        (66, "step", [67]),
        (70, "step", [71]),
        (74, "step", []),
    ]
    dashboards = task_at(rb, 80)
    assert dashboards.checked is True
    assert [(link.text, link.target) for link in dashboards.links] == [
        ("Payments overview", "https://grafana.example.com/d/pay-overview")
    ]


def test_item_text_keeps_inline_code_verbatim() -> None:
    rb = load("sre_numbered_procedure.md")
    assert task_at(rb, 79).text == "No alerts firing in PagerDuty for payments-*"


def test_table_heavy_cutover() -> None:
    rb = load("table_heavy_cutover.md")
    tables = [t for s in rb.walk_sections() for t in s.tables]
    assert [(t.line, t.kind) for t in tables] == [
        (3, "other"),
        (11, "other"),
        (21, "other"),
        (32, "contacts"),
        (41, "escalation"),
        (49, "metrics"),
        (67, "signoff"),
    ]
    raci = section(rb, "RACI").tables[0]
    assert raci.header == ["Activity", "Release Manager", "DBA", "Network", "App Team", "Service Desk"]
    assert raci.records()[1] == {
        "Activity": "DB replication cutover",
        "Release Manager": "I",
        "DBA": "R/A",
        "Network": "C",
        "App Team": "C",
        "Service Desk": "I",
    }
    schedule = section(rb, "Schedule").tables[0]
    assert [r.line for r in schedule.rows] == [23, 24, 25, 26, 27, 28]
    assert schedule.rows[1].cells[1] == "Stop batch jobs (cron-disable --all)"
    assert schedule.rows[4].cells[1] == "Smoke tests | regression pack"  # escaped pipe
    assert [(c.role, c.name, c.phone, c.email, c.backup, c.line) for c in rb.contacts] == [
        ("Release Manager", "Jane Doe", "+1 555 0100", "jane@example.com", "Tom Brown", 34),
        ("DBA", "Li Wei", "+1 555 0101", "li.wei@example.com", "Sara Kim", 35),
        ("Network", "Ana Souza", "+1 555 0102", "ana.souza@example.com", "Raj Patel", 36),
        ("Vendor support (Acme DB)", "24/7 line", "+1 555 0199", "support@acme.example", "–", 37),
    ]
    assert [(s.role, s.source, s.line) for s in rb.sign_offs] == [
        ("Release Manager", "table", 69),
        ("Head of Infrastructure", "table", 70),
    ]
    assert [(i.line, i.text) for i in rb.task_items()] == [
        (55, "All rows above green"),
        (56, "Sign-off from Release Manager"),
    ]
    assert code_at(rb, 60).runnable


def test_nested_tasks_deep() -> None:
    rb = load("nested_tasks_deep.md")
    deepest = task_at(rb, 14)  # * > + > - > * > + : fifth level
    assert (deepest.text, deepest.checked, depth_of(rb, deepest)) == (
        "Double-check with PM (Priya)",
        False,
        4,
    )
    dark = task_at(rb, 22)
    assert (dark.text, depth_of(rb, dark)) == ("with dark mode", 4)
    fourth = task_at(rb, 12)
    assert depth_of(rb, fourth) == 3
    assert fourth.text == "Link every Jira ticket (e.g. MOB-1432)"
    assert [(link.text, link.target) for link in fourth.links] == [
        ("MOB-1432", "https://jira.example.com/browse/MOB-1432")
    ]
    # [x] and [X] are both checked; the parent chain is intact
    changelog = task_at(rb, 9)
    assert changelog.checked is True
    assert [(i.line, i.checked) for i in changelog.items] == [(10, True), (11, False), (15, True)]
    assert [i.line for i in changelog.items[1].items] == [12, 13]
    assert [i.line for i in task_at(rb, 7).items] == [8, 9]
    # an extra space after the marker is still a task
    assert task_at(rb, 34).text == "Announce in #mobile-release"
    # numbered task items: steps with a box are tasks
    after = section(rb, "After release")
    assert [(i.line, i.kind, i.checked) for i in after.items] == [
        (38, "task", False),
        (41, "task", True),
        (42, "step", None),
    ]
    # not task boxes: no space after the box, [-]; an empty box is a task
    parking = section(rb, "Parking lot")
    assert [(i.line, i.kind) for i in parking.items] == [
        (47, "bullet"),
        (48, "bullet"),
        (49, "bullet"),
        (50, "task"),
    ]
    assert parking.items[1].text == "[ ]not a task (no space after the box)"
    assert len(rb.task_items()) == 31


def test_raw_html_details() -> None:
    rb = load("raw_html_details.md")
    assert rb.title == "Billing Service — Go-Live Playbook"
    checklist = section(rb, "Checklist")
    # task lists inside <details> after a blank line are items; the tags are notes
    assert [(i.line, i.text) for i in checklist.items[:2]] == [
        (15, "Freeze billing-core schema"),
        (16, "Export invoice templates"),
    ]
    assert [i.text for i in checklist.items[1].items] == ["EN", "DE"]
    assert [(n.line, n.kind) for n in checklist.notes] == [
        (12, "html"),
        (20, "html"),
        (22, "html"),
        (35, "html"),
    ]
    assert "<summary><b>Day -7: preparation</b>" in checklist.notes[0].text
    restore = task_at(rb, 25)
    assert [c.line for c in restore.code_blocks] == [27]
    assert [(i.line, i.checked) for i in task_at(rb, 31).items] == [(32, False), (33, True)]
    # an HTML table is kept, whole, as a note
    (who,) = section(rb, "Who to call").notes
    assert who.kind == "html"
    assert "<td>Jane Doe</td><td>+1 555 0100</td>" in who.text
    go_live = section(rb, "Go-live")
    assert task_at(rb, 47).text_raw == (
        "Switch `BILLING_BACKEND=v2` in the config repo<br>(merge request needs two approvals)"
    )
    assert task_at(rb, 48).id == "first-invoice-run"
    assert task_at(rb, 48).text == "Trigger the first invoice run"
    assert [c.line for c in go_live.code_blocks] == [58]
    assert task_at(rb, 62).text == "Confirm BILLING_BACKEND=v1 is live"
    assert any("invoice-run --force" in n.text for n in go_live.notes)
    assert (
        rb.sections[0].notes[0].text == "<!-- This page is rendered on the internal wiki; keep the HTML. -->"
    )


def test_front_matter_and_setext_headings() -> None:
    rb = load("front_matter_setext.md")
    assert rb.front_matter["owner"] == "Platform Search Team"
    assert rb.front_matter["tags"] == ["opensearch", "upgrade", "tier-1"]
    assert rb.front_matter["reviewers"] == ["Jane Doe", "Omar Haddad"]
    assert rb.title == "Search Cluster Upgrade (OpenSearch 2.11 → 2.13)"
    assert (rb.metadata.owner, rb.metadata.version, rb.metadata.status) == (
        "Platform Search Team",
        "2.1",
        "approved",
    )
    assert rb.metadata.last_updated == "2025-02-18"
    assert [(s.title, s.level, s.line) for s in rb.walk_sections()] == [
        ("Search Cluster Upgrade", 1, 13),
        ("Preparation", 2, 19),
        ("Rolling upgrade", 2, 34),
        ("For each data node", 3, 37),
        ("Post-checks", 2, 51),
        ("Notes", 2, 58),
    ]
    assert section(rb, "Search Cluster Upgrade").fields == {
        "Change ticket": "CHG-40417",
        "Window": "Tuesday 21:00–23:00 CET",
    }
    json_block = code_at(rb, 29)
    assert json_block in task_at(rb, 27).code_blocks
    assert (json_block.language, json_block.runnable) == ("json", False)
    tilde = code_at(rb, 41)
    assert (tilde.language, tilde.code) == ("bash", "sudo apt-get install -y opensearch=2.13.0\n")
    assert tilde in task_at(rb, 40).code_blocks
    four_tildes = code_at(rb, 45)
    assert (four_tildes.language, four_tildes.info.strip()) == ("sh", "sh")
    assert task_at(rb, 54).text == "_cluster/health is green"
    # a rule after a blank line and a lone "===" are not headings
    assert [n.text for n in section(rb, "Notes").notes][-2:] == [
        "===",
        "Reach the team in `#search-platform`.",
    ]


def test_fences_quotes_emoji() -> None:
    rb = load("fences_and_quotes.md")
    assert rb.title == "Checkout v5 — Launch Runbook"
    assert rb.title_raw == "🚀 Checkout v5 — Launch Runbook"
    assert section(rb, "Smoke tests").title_raw == "✅ Smoke tests"
    deploy = code_at(rb, 15)
    assert (deploy.name, deploy.language, deploy.attrs) == (
        "deploy",
        "sh",
        {"name": "deploy", "interactive": False},
    )
    assert deploy.info == 'sh {"name":"deploy","interactive":false}'
    assert deploy.runnable
    assert deploy.code.startswith("helm upgrade --install checkout ./charts/checkout \\\n  --namespace shop")
    verify = code_at(rb, 20)
    assert (verify.name, verify.attrs["cwd"]) == ("verify-rollout", "./ops")
    broken = code_at(rb, 24)
    assert (broken.name, broken.language, broken.attrs) == (
        None,
        "sh",
        {"raw": '{"name":"broken-attrs", interactive:'},
    )
    python = code_at(rb, 28)
    assert (python.language, python.runnable) == ("python", False)
    indented = code_at(rb, 36)
    assert indented.language is None
    assert (
        indented.code
        == "./bin/warm-cache --region eu --concurrency 8\n./bin/warm-cache --region us --concurrency 8\n"
    )
    nested = code_at(rb, 39)
    assert nested.code == '```sh\necho "a fence inside a fence"\n```\n'
    quoted = code_at(rb, 49)  # a fence inside a blockquote
    assert quoted.code.startswith("We are rolling out a new checkout experience.")
    # task items inside a blockquote, one nested
    assert [(i.line, i.text) for i in section(rb, "Comms").items] == [
        (53, "Post to status page"),
        (54, "Tweet from @ShopStatus"),
    ]
    assert [(i.line, i.text) for i in task_at(rb, 54).items] == [(55, "Pin the tweet")]
    smoke = task_at(rb, 7)
    assert smoke.text == "Run make smoke ENV=prod and check the summary says “0 failed”"
    assert [(c.code, c.kind, c.line) for c in smoke.inline_code] == [("make smoke ENV=prod", "command", 7)]
    store = task_at(rb, 8)
    assert store.text == "Open the storefront and place a €1 test order"
    assert [(link.text, link.target) for link in store.links] == [
        ("the storefront", "https://shop.example.com")
    ]
    assert task_at(rb, 63).text == "Check the “Orders / min” panel recovers within ≈5 min"
    assert any("“Ship it when it’s boring.”" in n.text for n in rb.sections[0].notes)


def test_reference_link_in_item() -> None:
    item = task_at(load("fences_and_quotes.md"), 9)
    assert item.text == "Verify the webhook in the Stripe dashboard"
    assert [(link.text, link.target) for link in item.links] == [
        ("Stripe dashboard", "https://dashboard.stripe.com/test/webhooks")
    ]


def test_reference_link_to_markdown_file_is_followed(tmp_path: Path) -> None:
    (tmp_path / "main.md").write_text(
        "# Main\n\n- [Release gates][gates]\n- [Other](./other.md)\n\n[gates]: ./gates.md\n", encoding="utf-8"
    )
    (tmp_path / "gates.md").write_text("# Gates\n\n- [ ] QA sign-off\n", encoding="utf-8")
    (tmp_path / "other.md").write_text("# Other\n\n- [ ] other task\n", encoding="utf-8")
    rb = load_runbook(tmp_path / "main.md")
    assert sorted(i.text for i in rb.task_items()) == ["QA sign-off", "other task"]


def test_wiki_export_loose_lists() -> None:
    rb = load("wiki_export_loose.md")
    assert rb.title == "Identity Provider Migration (Okta → Entra ID) #"  # setext keeps the '#'
    assert [s.title for s in rb.walk_sections()][1:] == ["Summary", "Runbook", "Checks"]
    steps = section(rb, "Runbook").items
    assert [(i.line, i.kind) for i in steps] == [
        (16, "step"),
        (18, "step"),
        (27, "step"),
        (30, "step"),
        (43, "step"),
        (44, "step"),
    ]
    assert steps[1].code_blocks[0].line == 23
    assert steps[1].notes[0].text.startswith("This takes about 20 minutes")
    assert steps[2].text == "Import into Entra ID. The importer is idempotent, so re-running it is safe."
    tiers = steps[3].items
    assert [(i.line, i.text) for i in tiers] == [
        (32, "Tier-3 apps (wiki, lunch menu)"),
        (33, "Tier-2 apps (Jira, Confluence)"),
        (41, "Tier-1 apps (payroll, VPN)"),
    ]
    assert [c.line for c in tiers[1].code_blocks] == [37]
    checks = section(rb, "Checks").items
    assert [(i.line, i.checked) for i in checks] == [(48, False), (50, False), (52, False), (56, True)]
    assert (
        checks[0].text
        == "A test user can log in to every tier-1 app (use the break-glass account if MFA prompts loop)"
    )
    assert checks[2].notes[0].text.startswith("Loose list item with a second paragraph")
    summary = section(rb, "Summary").tables[0]
    assert summary.records()[2] == {"Item": "Approver", "Detail": "Head of IT Security<br>(Sofia Rossi)"}


def test_gitlab_issue_template() -> None:
    rb = load("gitlab_issue_template.md")
    assert rb.sections[0].notes[0].kind == "html"
    assert rb.sections[0].notes[0].text.startswith("<!--\n  Go-live issue template.")
    assert len(rb.task_items()) == 11
    enable = task_at(rb, 28)
    assert (enable.kind, enable.text) == ("task", "Enable the flag for internal users")
    assert [(c.line, c.language, c.runnable) for c in enable.code_blocks] == [(29, "shell", True)]
    assert [i.line for i in task_at(rb, 21).items] == [22, 23]
    assert [c.code for c in task_at(rb, 22).inline_code] == ["docs/runbooks/notifications.md"]
    assert task_at(rb, 38).text == "Send launch email (not needed: internal change)"
    assert task_at(rb, 38).text_raw == "~~Send launch email~~ (not needed: internal change)"
    assert any(n.text == '/milestone %"2025-Q2"' for n in section(rb, "Aftercare").notes)


_LEGACY_TEXTS = {
    8: "Confirm the month-end close has finished – ask Finance (“Is the ledger locked?”)",
    9: "Take a full backup of the ERP database … and verify it",
    10: "Notify users • Finance • Payroll • Procurement",
    25: "Post a test journal of €1.00 and reverse it",
    26: "Check the server room temperature is < 24 °C (yes, really)",
    27: "Confirm the report footer still shows “© Example GmbH”",
}


def test_windows_1252_file(tmp_path: Path) -> None:
    source = STYLES / "legacy_change_plan.md"
    data = source.read_text(encoding="utf-8").encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    path = tmp_path / "legacy_change_plan.md"
    path.write_bytes(data)
    rb = load_runbook(path)
    assert {line: task_at(rb, line).text for line in _LEGACY_TEXTS} == _LEGACY_TEXTS
    assert task_at(rb, 14).text == "Stop the “ERP Scheduler” service."
    assert rb.title == "Change Plan – ERP Month-End Patch (Finance Systems)"
    assert "Jürgen Müller" in rb.sections[0].notes[0].text
    assert code_at(rb, 18).code == 'net stop "ERP Scheduler"\nnet start "ERP Scheduler"\n'
    utf8 = load_runbook(source)
    assert semantic(rb) == semantic(utf8)


def test_crlf_file() -> None:
    path = STYLES / "windows_iis.crlf.md"
    data = path.read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n") > 40, (
        "the file must keep its CRLF line ends (.gitattributes)"
    )
    rb = load_runbook(path)
    lf = parse_runbook_text(data.decode("utf-8").replace("\r\n", "\n"))
    assert semantic(rb) == semantic(lf)
    assert [(i.line, i.text) for i in rb.all_items()] == [(i.line, i.text) for i in lf.all_items()]
    assert [(c.line, c.code) for c in rb.all_code_blocks()] == [
        (c.line, c.code) for c in lf.all_code_blocks()
    ]
    assert all("\r" not in i.text_raw for i in rb.all_items())
    stop = code_at(rb, 18)
    assert stop.code == 'Import-Module WebAdministration\nStop-WebAppPool -Name "PortalPool"\n'
    assert stop in task_at(rb, 16).code_blocks
    assert task_at(rb, 10).text == "Copied to \\\\fileserver\\backups\\portal\\"
    assert (rb.metadata.owner, rb.metadata.last_updated) == ("Windows Platform", "2025-01-30")
    assert code_at(rb, 40).language == "cmd"


# --- a very long document ---------------------------------------------------------------


@pytest.mark.slow
def test_very_long_document() -> None:
    sections, per_section = 5000, 10
    lines = ["# Data centre exit: migrate every shard", ""]
    tasks: dict[int, tuple[str, bool]] = {}
    codes: set[int] = set()
    for s in range(sections):
        lines += [f"## Shard {s:04d} migration checklist", ""]
        for i in range(per_section):
            checked = (s + i) % 3 == 0
            marker = "-*+"[i % 3]
            indent = "  " if i % 5 == 4 else ""  # every fifth item nested under the one before
            tasks[len(lines) + 1] = (f"shard {s} task {i}", checked)
            lines.append(f"{indent}{marker} [{'x' if checked else ' '}] shard {s} task {i}")
            if i % 5 == 3:
                lines[-1] = f"- [{'x' if checked else ' '}] shard {s} task {i}"
        lines.append("")
        if s % 10 == 0:
            codes.add(len(lines) + 1)
            lines += ["```sh", f"migrate --shard {s}", "```", ""]
    text = "\n".join(lines)
    assert len(text) > 1_000_000
    rb = parse_runbook_text(text)
    items = rb.task_items()
    assert len(items) == sections * per_section
    assert {i.line: (i.text, i.checked) for i in items} == tasks
    assert {c.line for c in rb.all_code_blocks()} == codes
    assert len([s for s in rb.walk_sections() if s.level == 2]) == sections
    last = rb.sections[0].sections[-1]
    assert last.title == "Shard 4999 migration checklist"
    assert [len(i.items) for i in last.items] == [0, 0, 0, 1, 0, 0, 0, 1]
