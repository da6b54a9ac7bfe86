"""Units of the runbook layer: annotations, Runme attributes, code-block rules,
stable ids across edits, overlays, gate rules, durations, launch times."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import pytest

from golive.durations import format_duration, parse_duration
from golive.errors import InputError, OverlayError, RunbookFormatError
from golive.runbook.ids import reconcile
from golive.runbook.loader import load_runbook, parse_runbook_text
from golive.runbook.markdown_import import classify_inline_code, code_block_runnable
from golive.runbook.model import Runbook
from golive.timeparse import parse_launch

DOC = """\
<!-- golive: {gate_rules: {item_patterns: ["\\\\bmust pass\\\\b"]}} -->
# Checkout go-live

## T-1 Week: Prepare
<!-- golive: {owner: Release Manager} -->

- [ ] Backup production database <!-- golive: {id: db-backup, gate: true} -->
- [x] Smoke tests must pass
- [ ] Dashboards reviewed
<!-- golive: {checks: [{kind: tcp, host: 127.0.0.1, port: 5432}]} -->

```sh {"name":"deploy","interactive":false}
./deploy.sh --version 2.1.0
```

## Release Gates
<!-- golive: {gate: false} -->

- [ ] Not a gate after all
"""


def _item(rb: Runbook, text: str):  # type: ignore[no-untyped-def]
    return next(i for i in rb.all_items() if i.text == text)


def test_annotations_on_items_sections_and_document() -> None:
    rb = parse_runbook_text(DOC, "rb.md")
    backup = _item(rb, "Backup production database")
    assert backup.id == "db-backup" and backup.gate is not None and backup.gate.rule == "annotation"
    assert backup.owner == "Release Manager"  # section annotation, inherited
    smoke = _item(rb, "Smoke tests must pass")
    assert smoke.checked is True and smoke.gate is not None  # document gate_rules override
    dashboards = _item(rb, "Dashboards reviewed")
    assert [c.kind for c in dashboards.checks] == ["tcp"]  # comment on the line after the item
    assert dashboards.checks[0].source == "rb.md:10"
    assert _item(rb, "Not a gate after all").gate is None  # gate: false wins over the section rule
    (block,) = list(rb.all_code_blocks())
    assert block.name == "deploy" and block.attrs == {"name": "deploy", "interactive": False}
    assert block.language == "sh" and block.runnable and block.line == 12
    assert block.id.endswith("/code-deploy")


def test_annotation_errors_name_file_and_line() -> None:
    with pytest.raises(RunbookFormatError, match=r"^rb\.md:3: unknown golive annotation field 'gaet'"):
        parse_runbook_text("# T\n\n- [ ] x <!-- golive: {gaet: true} -->\n", "rb.md")
    with pytest.raises(RunbookFormatError, match=r"^rb\.md:3: golive annotation is not a YAML mapping"):
        parse_runbook_text("# T\n\n- [ ] x <!-- golive: {gate: [ -->\n", "rb.md")
    with pytest.raises(RunbookFormatError, match=r"rb\.md:3: gate: expected true, false"):
        parse_runbook_text("# T\n\n- [ ] x <!-- golive: {gate: sometimes} -->\n", "rb.md")
    with pytest.raises(InputError, match=r"rb\.md:3: unknown check kind 'htp'"):
        parse_runbook_text("# T\n\n- [ ] x <!-- golive: {checks: [{kind: htp}]} -->\n", "rb.md")


def test_code_block_rules() -> None:
    assert code_block_runnable("bash", "./scripts/deploy.sh production\n") == (True, "")
    assert not code_block_runnable("bash", "# only a comment\n")[0]
    assert (
        "DNS records"
        in code_block_runnable("bash", "@ 300 IN A 203.0.113.10\nwww IN CNAME example.com.\n")[1]
    )
    assert "Python" in code_block_runnable("bash", 'if os.environ.get("X") == "true":\n    raise X\n')[1]
    assert "quoted text" in code_block_runnable("bash", '"Purchase verified successfully"\n')[1]
    assert "unbalanced" in code_block_runnable("sh", "echo 'unterminated\n")[1]
    assert not code_block_runnable("sql", "SELECT 1;\n")[0]
    assert not code_block_runnable(None, "ls\n")[0]
    assert classify_inline_code("cd frontend && npm run guard") == "command"
    assert classify_inline_code("GET /api/entitlements/snapshot") == "http"
    assert classify_inline_code("REVENUECAT_SECRET_KEY") == "env"
    assert classify_inline_code("RELEASE_SWITCHES.md") == "path"
    assert classify_inline_code("server_time") == "literal"


def test_ids_are_stable_across_formatting_and_ticking() -> None:
    before = parse_runbook_text("# T\n\n## Prep\n\n- [ ] Backup production database\n- [ ] Notify team\n")
    after = parse_runbook_text(
        "# T\n\n\n## Prep\n\nSome new intro.\n\n"
        "- [x] **Backup production database.**\n- [ ] Notify  the team\n"
    )
    ids_before = [i.id for i in before.all_items()]
    assert ids_before == ["prep/backup-production-database", "prep/notify-team"]
    assert next(i.id for i in after.all_items()) == ids_before[0]  # ticked, bold, trailing dot
    # a reworded item keeps its id through reconcile
    changes = reconcile(before, after)
    assert [i.id for i in after.all_items()] == ids_before
    assert changes == {"prep/notify-the-team": "prep/notify-team"}


def test_reconcile_moves_and_new_items() -> None:
    old = parse_runbook_text("# T\n\n## A\n\n- [ ] Alpha step\n- [ ] Beta step\n\n## B\n\n- [ ] Gamma\n")
    new = parse_runbook_text(
        "# T\n\n## A\n\n- [ ] Beta step\n- [ ] Brand new thing\n\n## B\n\n- [ ] Alpha step\n"
    )
    reconcile(old, new)
    ids = {i.text: i.id for i in new.all_items()}
    assert ids["Beta step"] == "a/beta-step"
    assert ids["Alpha step"] == "a/alpha-step"  # moved, same words: same id
    assert ids["Brand new thing"] == "a/brand-new-thing"
    assert len(set(ids.values())) == 3


def test_duplicate_texts_get_distinct_ids() -> None:
    rb = parse_runbook_text("# T\n\n## S\n\n- [ ] Same\n- [ ] Same\n")
    assert [i.id for i in rb.all_items()] == ["s/same", "s/same-2"]


def test_overlay_errors(tmp_path: Path) -> None:
    runbook = tmp_path / "rb.md"
    runbook.write_text("# T\n\n## S\n\n- [ ] Same\n- [ ] Same\n- [ ] Other\n", encoding="utf-8")
    overlay = tmp_path / "o.yaml"
    overlay.write_text("items:\n  - match: {text: same}\n    gate: true\n", encoding="utf-8")
    with pytest.raises(OverlayError, match=r"o\.yaml:2: text 'same' matches 2 items \(lines 5, 6\)"):
        load_runbook(runbook, overlay=overlay)
    overlay.write_text("items:\n  - match: {text: same, all: true}\n    gate: true\n", encoding="utf-8")
    assert len(load_runbook(runbook, overlay=overlay).gates()) == 2
    overlay.write_text("items:\n  - match: {id: s/other}\n    colour: red\n", encoding="utf-8")
    with pytest.raises(OverlayError, match=r"o\.yaml:2: items\[0\]: unknown field 'colour'"):
        load_runbook(runbook, overlay=overlay)
    overlay.write_text("items:\n  - match: {id: s/other}\n    checks: [{kind: tcp, host: x, port: 70000}]\n")
    with pytest.raises(InputError, match=r"o\.yaml:2: tcp check: port"):
        load_runbook(runbook, overlay=overlay)
    overlay.write_text("items: [\n", encoding="utf-8")
    with pytest.raises(OverlayError, match=r"o\.yaml:2:1: invalid YAML"):
        load_runbook(runbook, overlay=overlay)
    with pytest.raises(OverlayError, match="overlay file not found"):
        load_runbook(runbook, overlay=tmp_path / "missing.yaml")
    overlay.write_text(
        "items:\n  - match: {id: s/other}\n    gate: true\n  - match: {id: s/other}\n    id: x\n"
    )
    rb = load_runbook(runbook, overlay=overlay)
    assert rb.find_item("x") is not None and rb.find_item("x").gate is not None  # type: ignore[union-attr]


def test_gate_rules_override_in_overlay(tmp_path: Path) -> None:
    runbook = tmp_path / "rb.md"
    runbook.write_text(
        "# T\n\n## Must Pass\n\n- [ ] One\n\n## Release Gates\n\n- [ ] Two\n", encoding="utf-8"
    )
    overlay = tmp_path / "o.yaml"
    overlay.write_text("gate_rules:\n  section_patterns: ['must pass']\n", encoding="utf-8")
    rb = load_runbook(runbook, overlay=overlay)
    assert [i.text for i in rb.gates()] == ["One"]
    overlay.write_text("gate_rules:\n  section_patterns: ['(unclosed']\n", encoding="utf-8")
    with pytest.raises(InputError, match="invalid pattern"):
        load_runbook(runbook, overlay=overlay)


def test_front_matter_crlf_and_cp1252(tmp_path: Path) -> None:
    text = "---\ntitle: Payments go-live\nowner: Release Manager\nversion: 3.1\n---\n\n## Prep\n\n- [ ] One\n"
    crlf = tmp_path / "crlf.md"
    crlf.write_bytes(text.replace("\n", "\r\n").encode())
    rb = load_runbook(crlf)
    assert rb.title == "Payments go-live" and rb.metadata.owner == "Release Manager"
    assert rb.metadata.version == "3.1"
    assert [(i.line, i.text) for i in rb.all_items()] == [(9, "One")]
    legacy = tmp_path / "legacy.md"
    legacy.write_bytes("# Caf\xe9 \x93launch\x94\n\n- [ ] Check \x93it\x94\n".encode("latin-1"))
    rb = load_runbook(legacy)
    assert rb.title == "Café “launch”" and rb.task_items()[0].text == "Check “it”"


def test_durations_and_launch_times() -> None:
    for text, seconds in [
        ("90m", 5400),
        ("-14d", -14 * 86400),
        ("1h30m", 5400),
        ("2 hours", 7200),
        ("250ms", 0.25),
    ]:
        assert parse_duration(text).total_seconds() == seconds
        assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration("14 fortnights")
    when = parse_launch("2026-12-01 09:00 Europe/London")
    assert when.utcoffset() == timedelta(0) and when.hour == 9
    assert parse_launch("2026-07-01 09:00 Europe/London").astimezone(UTC).hour == 8
    assert parse_launch("2026-12-04").weekday() == 4
    with pytest.raises(InputError, match="unknown time zone"):
        parse_launch("2026-12-01 09:00 Nowhere/Land")
    with pytest.raises(InputError, match="not a valid date"):
        parse_launch("2026-02-30 09:00")


def test_document_annotation_metadata_rollout_policies() -> None:
    rb = parse_runbook_text(
        "<!-- golive: {metadata: {owner: Ops}, rollout: [{steps: [{weight: 10, bake: 1h}, {weight: 100}],"
        " component: web}], policies: [{rule: no_friday}]} -->\n# T\n\n- [ ] x\n",
        "rb.md",
    )
    assert rb.metadata.owner == "Ops"
    assert [(s.weight, s.bake) for s in rb.rollout[0].steps] == [(10, timedelta(hours=1)), (100, None)]
    assert rb.rollout[0].component == "web"
    assert [p.rule for p in rb.policies] == ["no_friday"]
    with pytest.raises(InputError, match=r"rb\.md: steps\.0\.weight"):
        parse_runbook_text("<!-- golive: {rollout: [{steps: [{weight: lots}]}]} -->\n# T\n", "rb.md")


def test_an_annotation_inside_backticks_is_prose_not_an_annotation() -> None:
    from golive.runbook.annotations import find_annotations, strip_annotations

    text = "annotate with `<!-- golive: {...} -->` comments <!-- golive: {id: real} -->"
    assert find_annotations(text) == [" {id: real} "]
    assert strip_annotations(text) == "annotate with `<!-- golive: {...} -->` comments"
    assert find_annotations("``a `<!-- golive: {x: 1} -->` b``") == []
