"""The five seed runbooks import as the teams wrote them: counts with lines,
texts, phases with offsets, owners, durations, roles, tables and thresholds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from golive.runbook.loader import load_runbook
from golive.runbook.model import Item, Runbook, Section
from tests.conftest import SEED_NAMES, SHARED_SEEDS, scan_lines, seed_path

D = timedelta(days=1)
H = timedelta(hours=1)
M = timedelta(minutes=1)

EXPECTED_COUNTS = {  # task-list entries, code blocks
    "000": (15, 0),
    "001": (30, 10),
    "002": (130, 14),
    "003": (80, 12),
    "004": (447, 12),
}


@pytest.fixture(scope="module")
def runbooks() -> dict[str, Runbook]:
    return {key: load_runbook(seed_path(key)) for key in SEED_NAMES}


def item_at(runbook: Runbook, line: int) -> Item:
    found = [i for i in runbook.all_items() if i.line == line]
    assert len(found) == 1, f"expected one item at line {line}, found {[i.text for i in found]}"
    return found[0]


def section_at(runbook: Runbook, line: int) -> Section:
    found = [s for s in runbook.walk_sections() if s.line == line and s.level > 0]
    assert len(found) == 1, f"expected one section at line {line}"
    return found[0]


def test_bundled_seeds_match_shared_copies() -> None:
    assert SHARED_SEEDS.is_dir(), f"shared seeds not found beside the repo: {SHARED_SEEDS}"
    for name in SEED_NAMES.values():
        assert (SHARED_SEEDS / name).read_bytes() == seed_path(name[:3]).read_bytes(), name


@pytest.mark.parametrize("key", sorted(EXPECTED_COUNTS))
def test_every_task_item_and_code_block_with_its_line(runbooks: dict[str, Runbook], key: str) -> None:
    runbook = runbooks[key]
    task_lines, fence_lines = scan_lines(seed_path(key))
    tasks, blocks = EXPECTED_COUNTS[key]
    assert len(task_lines) == tasks and len(fence_lines) == blocks  # the oracle agrees with the issue
    assert sorted(i.line for i in runbook.task_items()) == task_lines
    assert sorted(b.line for b in runbook.all_code_blocks()) == fence_lines
    assert all(i.file == SEED_NAMES[key] for i in runbook.task_items())


def test_003_template_block_items_are_code_not_items(runbooks: dict[str, Runbook]) -> None:
    rb = runbooks["003"]
    template = next(b for b in rb.all_code_blocks() if b.line == 305)
    assert template.language == "markdown" and not template.runnable
    assert "- [ ] [Action 1]" in template.code and "- [ ] [Action 2]" in template.code
    assert not [i for i in rb.all_items() if 305 <= i.line <= 331]


def test_texts_checked_state_and_nesting(runbooks: dict[str, Runbook]) -> None:
    rb = runbooks["001"]
    guard = item_at(rb, 11)
    assert guard.text == "All 13+ guards pass: cd frontend && npm run guard"
    assert [c.code for c in guard.commands] == ["cd frontend && npm run guard"]
    assert guard.checked is False and guard.kind == "task"
    revenuecat = item_at(rb, 15)
    assert [(c.line, c.text) for c in revenuecat.items] == [
        (16, "Products created (Premium, Cinematics Pack, etc.)"),
        (17, "Webhook URL configured"),
        (18, "API keys generated"),
    ]
    entitlement = item_at(rb, 83)
    assert entitlement.inline_code[0].kind == "http"
    env = item_at(rb, 131)
    assert env.kind == "step" and env.inline_code[0].code == "REVENUECAT_WEBHOOK_SECRET"
    assert env.inline_code[0].kind == "env" and env.context == "contingency"
    rb4 = runbooks["004"]
    ssl = item_at(rb4, 49)
    assert ssl.text == "SSL certificates validated (minimum 60 days remaining)"
    step = item_at(rb4, 40)
    assert step.kind == "step" and step.text == "Infrastructure Health Check (2 hours)"
    assert [b.line for b in step.code_blocks] == [41]
    assert [i.line for i in step.items] == [45, 46, 47, 48, 49]


def test_code_blocks_runnable_or_reference(runbooks: dict[str, Runbook]) -> None:
    rb = runbooks["001"]
    blocks = {b.line: b for b in rb.all_code_blocks()}
    assert blocks[27].runnable  # python -c ... is a shell command
    assert not blocks[179].runnable and "python" in blocks[179].reason  # a snippet for server.py
    assert not blocks[240].runnable
    assert not blocks[191].runnable and "Python" in blocks[191].reason  # python in a bash fence
    assert not blocks[147].runnable and "comments" in blocks[147].reason
    assert blocks[147].line == 147  # indented inside a list item (seed 001 scenario 3)
    rb4 = runbooks["004"]
    sql = next(b for b in rb4.all_code_blocks() if b.line == 77)
    assert sql.language == "sql" and not sql.runnable
    rb3 = runbooks["003"]
    notify = next(b for b in rb3.all_code_blocks() if b.line == 69)
    assert not notify.runnable  # only comments
    backup = next(b for b in rb3.all_code_blocks() if b.line == 78)
    assert backup.runnable and "pg_dump" in backup.code


def test_mojibake_repaired_and_emoji_stripped(runbooks: dict[str, Runbook]) -> None:
    rb = runbooks["000"]
    overview = section_at(rb, 9)
    assert overview.title == "Overview"
    assert overview.title_raw == "ðŸš€ Overview"  # the original text is kept
    assert section_at(rb, 29).title == "Release Timeline"
    assert runbooks["002"].title == "Production Deployment Checklist"
    assert section_at(runbooks["003"], 3).title == "Production Deployment Checklist"
    assert section_at(runbooks["003"], 276).title == "Security Procedures"
    assert "→" in item_at(runbooks["001"], 85).text


def test_metadata(runbooks: dict[str, Runbook]) -> None:
    m0 = runbooks["000"].metadata
    assert (m0.version, m0.last_updated, m0.scope) == (
        "1.0.0",
        "2026-01-25",
        "Android & iOS Customer App (DineIn)",
    )
    m2 = runbooks["002"].metadata
    assert m2.project == "Fynlo POS - Hardware-Free Restaurant Management Platform"
    assert m2.version == "1.0.0" and m2.last_updated == "January 2025"
    m4 = runbooks["004"].metadata
    assert (m4.version, m4.owner) == ("2.0", "Technical Lead")


def _phase(rb: Runbook, line: int) -> tuple[timedelta | None, timedelta | None, str]:
    section = section_at(rb, line)
    assert section.schedule is not None, section.title
    return section.schedule.start, section.schedule.end, section.schedule.anchor


def test_phases_004_day_by_day(runbooks: dict[str, Runbook]) -> None:
    rb = runbooks["004"]
    assert _phase(rb, 12) == (-14 * D, -7 * D, "t0")  # T-2 Weeks, until T-1 Week
    assert _phase(rb, 16) == (-7 * D, None, "t0")  # T-1 Week
    assert _phase(rb, 20) == (0 * D, 1 * D, "launch_day")  # T-0 Day
    assert _phase(rb, 25) == (0 * D, 7 * D, "t0")  # T+1 Week
    assert _phase(rb, 33) == (-14 * D, -10 * D, "t0")  # Day -14 to -11
    assert _phase(rb, 35) == (-14 * D, -13 * D, "t0")  # Day -14
    assert _phase(rb, 486) == (-1 * D, 0 * D, "t0")  # Day -1: Final Go/No-Go Decision
    assert _phase(rb, 523) == (6 * H, 7 * H, "launch_day")  # 6:00 AM - 7:00 AM
    assert _phase(rb, 691) == (12 * H + 30 * M, 13 * H, "launch_day")  # 12:30 PM - 1:00 PM
    assert _phase(rb, 799) == (1 * D, 8 * D, "t0")  # Day +1 to +7
    assert _phase(rb, 803) == (1 * D, 1 * D + 12 * H, "launch_day")  # Day +1 Morning
    assert _phase(rb, 853) == (4 * D, 8 * D, "t0")  # Day +4 to +7
    days = sorted(
        {
            s.schedule.start.days
            for s in rb.phases()
            if s.schedule and s.schedule.start is not None and s.schedule.anchor == "t0"
        }
    )
    assert days[0] == -14 and days[-1] >= 4
    db = item_at(rb, 841)
    assert db.schedule is not None and (db.schedule.start, db.schedule.end) == (2 * D, 3 * D)  # (Day +2)


def test_phases_003_and_others(runbooks: dict[str, Runbook]) -> None:
    rb = runbooks["003"]
    assert _phase(rb, 5) == (-14 * D, -7 * D, "t0")  # 1-2 weeks before
    assert _phase(rb, 37)[0] == -7 * D  # 1 week before
    assert _phase(rb, 64) == (0 * D, 1 * D, "launch_day")  # Launch Day
    assert _phase(rb, 170) == (0 * D, 1 * D, "t0")  # First 24 hours
    assert _phase(rb, 188) == (0 * D, 7 * D, "t0")  # First week
    smoke = item_at(rb, 143)
    assert smoke.schedule is not None and smoke.schedule.end == 15 * M
    assert [i.line for i in smoke.items] == list(range(144, 151))  # the checklist under the step
    rb0 = runbooks["000"]
    assert _phase(rb0, 31)[0] == -7 * D and _phase(rb0, 37)[0] == -3 * D
    assert _phase(rb0, 43)[0] == 0 * D
    assert _phase(rb0, 49)[:2] == (0 * D, 72 * H)  # Hypercare (T+72 Hours)
    rb2 = runbooks["002"]
    assert _phase(rb2, 88) == (-30 * M, 0 * D, "t0")
    assert _phase(rb2, 102)[:2] == (0 * D, 30 * M)  # after phase 1, lasting 15-30 minutes
    assert _phase(rb2, 138)[:2] == (30 * M, 45 * M)


def test_owners_and_durations(runbooks: dict[str, Runbook]) -> None:
    rb = runbooks["004"]
    day14 = section_at(rb, 35)
    assert day14.owner == "DevOps Lead"
    assert day14.duration is not None and day14.duration.max == 8 * H
    health = item_at(rb, 40)
    assert health.duration is not None and health.duration.max == 2 * H
    assert item_at(rb, 49).owner == "DevOps Lead"  # inherited from the task's owner
    assert section_at(rb, 71).owner == "Database Administrator"
    assert item_at(rb, 66).deliverable and item_at(rb, 66).group == "Deliverables"
    t0 = section_at(rb, 20)
    assert t0.duration is not None and (t0.duration.min, t0.duration.max) == (8 * H, 12 * H)
    assert item_at(rb, 527).duration is not None and item_at(rb, 527).duration.max == 15 * M  # type: ignore[union-attr]


def test_roles(runbooks: dict[str, Runbook]) -> None:
    names = {r.name for r in runbooks["004"].roles}
    assert {
        "Technical Lead",
        "DevOps Lead",
        "Database Administrator",
        "Integration Lead",
        "Performance Lead",
        "Security Lead",
        "Product Manager",
        "QA Lead",
        "Executive Team",
    } <= names
    roles2 = {r.name: r for r in runbooks["002"].roles}
    assert "sign-off" in roles2["QA Lead"].sources and "contact" in roles2["DevOps Lead"].sources


def test_contacts_and_escalation(runbooks: dict[str, Runbook]) -> None:
    rb2 = runbooks["002"]
    assert [(c.role, c.name, c.contact, c.availability, c.line) for c in rb2.contacts] == [
        ("DevOps Lead", "[Name]", "[Phone/Email]", "24/7", 222),
        ("Backend Lead", "[Name]", "[Phone/Email]", "Business hours", 223),
        ("Frontend Lead", "[Name]", "[Phone/Email]", "Business hours", 224),
        ("Database Admin", "[Name]", "[Phone/Email]", "On-call", 225),
        ("Platform Owner", "[Name]", "[Phone/Email]", "Business hours", 226),
    ]
    rb4 = runbooks["004"]
    assert [c.line for c in rb4.contacts] == [948, 949, 950, 951, 952, 957, 958, 959]
    stripe = next(c for c in rb4.contacts if c.role == "Stripe Support")
    assert (stripe.phone, stripe.email, stripe.availability) == ("[Phone]", "[Email]", "2 hours")
    tables = [t for s in rb4.walk_sections() for t in s.tables]
    assert [t.kind for t in tables] == ["contacts", "contacts"]
    assert [(e.level, e.who, e.start, e.end) for e in rb4.escalation] == [
        (1, ["Technical Lead", "DevOps Lead"], 0 * M, 15 * M),
        (2, ["Product Manager", "Security Lead"], 15 * M, 30 * M),
        (3, ["Executive Team"], 30 * M, 60 * M),
        (4, ["External Partners", "Legal"], 60 * M, None),
    ]
    rb3 = runbooks["003"]
    assert [(c.role, c.name, c.phone) for c in rb3.contacts][:2] == [
        ("Primary", "[Name]", "[Phone]"),
        ("Secondary", "[Name]", "[Phone]"),
    ]
    assert rb3.escalation[3].who == ["CEO"] and rb3.escalation[3].start == 60 * M
    rb1 = runbooks["001"]
    assert (rb1.contacts[0].role, rb1.contacts[0].name) == ("Backend infrastructure", "DevOps team")
    rb1_tables = [t for s in rb1.walk_sections() for t in s.tables]
    assert [t.kind for t in rb1_tables] == ["metrics", "contacts", "other"]
    telemetry = rb1_tables[0]
    assert telemetry.header == ["Signal", "Healthy", "Investigate"] and telemetry.rows[0].line == 213


def _exprs(rb: Runbook, line: int) -> list[str]:
    for criterion in [*rb.rollback_criteria, *rb.success_metrics]:
        if criterion.line == line:
            return [t.expression for t in criterion.thresholds]
    return [t.expression for t in item_at(rb, line).thresholds]


def test_thresholds_from_prose(runbooks: dict[str, Runbook]) -> None:
    rb2, rb4 = runbooks["002"], runbooks["004"]
    assert _exprs(rb2, 192) == ["error_rate > 5%"]
    assert _exprs(rb4, 880) == ["error_rate > 1% for 10m"]
    assert _exprs(rb2, 191) == ["health_check_failing == true for 5m"]
    assert _exprs(rb4, 49) == ["tls_days_remaining >= 60d"]
    assert _exprs(rb4, 204) == ["latency p95 < 200ms"]
    assert _exprs(rb2, 199) == ["latency > 5x baseline"]
    assert _exprs(rb2, 201) == ["memory_usage > 90% sustained"]
    assert _exprs(rb2, 162) == ["cache_hit_rate > 50%"]
    assert _exprs(rb4, 879) == ["downtime == true for 5m"]
    assert _exprs(rb4, 881) == ["payment_failure_rate > 2%"]
    uptime = next(c for c in rb4.success_metrics if c.line == 921).thresholds[0]
    assert (uptime.metric, uptime.op, uptime.value, uptime.target) == ("uptime", ">", 99.9, 99.95)
    assert _exprs(runbooks["003"], 212) == ["error_rate > 5%"]  # "- >5% error rate"
    telemetry = next(c for c in runbooks["001"].success_metrics if c.line == 213)
    assert [(t.op, t.value, t.level) for t in telemetry.thresholds] == [
        (">", 10, "healthy"),
        ("<", 5, "warning"),
    ]


def test_rollback_criteria_and_success_metrics(runbooks: dict[str, Runbook]) -> None:
    rb2 = runbooks["002"]
    assert [c.line for c in rb2.rollback_criteria] == [
        191,
        192,
        193,
        194,
        195,
        196,
        199,
        200,
        201,
        202,
        205,
        206,
        207,
        208,
    ]
    assert not next(c for c in rb2.rollback_criteria if c.line == 193).thresholds  # a person judges it
    assert [c.line for c in runbooks["004"].rollback_criteria] == [879, 880, 881, 882, 883]
    assert [c.line for c in runbooks["003"].rollback_criteria] == [208, 209, 210, 211, 212, 213]
    assert [c.line for c in rb2.success_metrics][:5] == [239, 240, 241, 242, 243]
    assert all(i.gate is None for i in rb2.all_items() if i.context == "criterion")


def test_gates_and_sign_offs(runbooks: dict[str, Runbook]) -> None:
    rb0 = runbooks["000"]
    verify = item_at(rb0, 34)
    assert verify.gate is not None and verify.gate.kind == "hard"
    rb4 = runbooks["004"]
    go_nogo = item_at(rb4, 626)
    assert go_nogo.gate is not None and go_nogo.gate.kind == "phase"
    assert all(c.gate is not None and c.gate.kind == "phase" for c in go_nogo.items)
    decision = section_at(rb4, 486)
    assert decision.gate is not None and decision.gate.kind == "hard"
    assert all(i.gate is not None for i in decision.all_items())
    assert section_at(rb4, 462).gate is None  # "Go/No-Go Review Preparation" prepares the gate
    roles = {(s.role, s.section) for s in rb4.sign_offs}
    assert ("Executive Team", None) in roles
    assert any(role == "DevOps Lead" and section for role, section in roles)  # phase 1 go/no-go
    assert [(s.role, s.line, s.source) for s in runbooks["002"].sign_offs] == [
        ("Deployment Lead", 327, "table"),
        ("QA Lead", 328, "table"),
        ("Operations", 329, "table"),
        ("Product Owner", 330, "table"),
    ]
    assert [s.role for s in runbooks["003"].sign_offs] == [
        "Product team",
        "QA team",
        "Security team",
        "Legal/compliance",
        "Executive",
    ]
    assert item_at(runbooks["003"], 61).gate is not None  # Legal/compliance approval
    assert not runbooks["001"].gates()
    assert item_at(rb4, 897).gate is None  # rollback procedure steps are contingency, not gates


def test_optional_items(runbooks: dict[str, Runbook]) -> None:
    rb2 = runbooks["002"]
    assert item_at(rb2, 105).optional  # Set maintenance mode (optional)
    assert item_at(rb2, 57).optional  # (if applicable)
    assert not item_at(rb2, 110).optional
    assert item_at(runbooks["001"], 89).optional  # (if analytics enabled)
    assert item_at(runbooks["004"], 904).optional  # (if needed)


def test_rollout_plans_and_policies(runbooks: dict[str, Runbook]) -> None:
    (plan3,) = runbooks["003"].rollout
    assert [(s.weight, s.bake) for s in plan3.steps] == [(10, H), (50, H), (100, None)]
    assert plan3.line == 161
    (plan1,) = runbooks["001"].rollout
    assert [s.weight for s in plan1.steps] == [10, 50, 100] and plan1.line == 68
    policies = {(p.rule, p.line) for p in runbooks["003"].policies}
    assert ("no_friday", 345) in policies and ("backup_before_deploy", 347) in policies
    assert ("low_traffic_hours", 336) in policies


def test_linked_files_missing_are_warnings(runbooks: dict[str, Runbook]) -> None:
    warnings = runbooks["000"].warnings
    assert [(w.line, w.message.split()[2]) for w in warnings] == [
        (15, "release_gates.md"),
        (16, "staging_checks.md"),
        (17, "production_checks.md"),
        (20, "monitoring.md"),
        (21, "incidents.md"),
        (22, "rollback.md"),
        (25, "support_playbook.md"),
    ]


def test_linked_files_are_followed(tmp_path: Path) -> None:
    (tmp_path / "index.md").write_bytes(seed_path("000").read_bytes())
    (tmp_path / "release_gates.md").write_text(
        "# Release Gates\n\n- [ ] Crash-free sessions above 99.5% on the RC\n"
        "- [ ] Privacy policy link works\n",
        encoding="utf-8",
    )
    (tmp_path / "rollback.md").write_text(
        "# Rollback\n\n1. Halt the phased release\n\n```bash\n./scripts/rollback.sh\n```\n", encoding="utf-8"
    )
    rb = load_runbook(tmp_path / "index.md")
    gates = [i for i in rb.all_items() if i.file == "release_gates.md"]
    assert [(i.line, i.text) for i in gates] == [
        (3, "Crash-free sessions above 99.5% on the RC"),
        (4, "Privacy policy link works"),
    ]
    assert all(i.gate is not None and i.gate.kind == "hard" for i in gates)
    (block,) = [b for b in rb.all_code_blocks() if b.file == "rollback.md"]
    assert block.line == 5 and block.runnable
    assert rb.files == ["index.md", "release_gates.md", "rollback.md"]
    assert not any("release_gates.md" in w.message for w in rb.warnings)
    assert any("staging_checks.md" in w.message for w in rb.warnings)
    before = rb.content_hash
    (tmp_path / "rollback.md").write_text("# Rollback\n\n1. Halt\n", encoding="utf-8")
    assert load_runbook(tmp_path / "index.md").content_hash != before


def test_links_outside_the_folder_are_not_followed(tmp_path: Path) -> None:
    inner = tmp_path / "rb"
    inner.mkdir()
    (tmp_path / "secret.md").write_text("- [ ] outside\n", encoding="utf-8")
    (inner / "main.md").write_text("# Main\n\n- [Escape](../secret.md)\n", encoding="utf-8")
    rb = load_runbook(inner / "main.md")
    assert not [i for i in rb.all_items() if i.text == "outside"]
    assert any("leaves the runbook's folder" in w.message for w in rb.warnings)
