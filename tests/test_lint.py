"""golive lint's engine, against the real seed runbooks and small synthetic ones."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import pytest

from golive.lint import BUILTIN_RULES, Finding, LintContext, Rule, lint, lint_path, read_sources
from golive.runbook.loader import load_runbook

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
FRIDAY = datetime(2025, 1, 17, 9, 0)
MONDAY = datetime(2025, 1, 20, 9, 0)
SATURDAY = datetime(2025, 1, 18, 9, 0)


def seed(prefix: str) -> Path:
    if not SEEDS.is_dir():
        pytest.fail(f"seed runbooks not found at {SEEDS}: the shared/ folder must sit beside the repository")
    found = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not found:
        pytest.fail(f"seed {prefix} not found in {SEEDS}")
    return found[0]


def all_seeds() -> list[Path]:
    if not SEEDS.is_dir():
        pytest.fail(f"seed runbooks not found at {SEEDS}: the shared/ folder must sit beside the repository")
    paths = sorted(SEEDS.glob("*.txt"))
    assert len(paths) >= 5, f"expected the five seed runbooks in {SEEDS}"
    return paths


def raw_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").replace("\r\n", "\n").split("\n")


def of_rule(findings: Iterable[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def write(tmp_path: Path, text: str, name: str = "runbook.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- placeholders -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "tokens", "contact_rows"),
    [
        ("002", ["[Name]", "[Phone]", "[Phone/Email]"], set(range(222, 227))),
        (
            "004",
            ["[Name]", "[Phone]", "[Phone/Email]", "[Email]"],
            set(range(948, 953)) | set(range(957, 960)),
        ),
    ],
)
def test_every_name_and_phone_placeholder_is_found_at_its_line(
    prefix: str, tokens: list[str], contact_rows: set[int]
) -> None:
    path = seed(prefix)
    expected: Counter[tuple[int, str]] = Counter()
    for number, line in enumerate(raw_lines(path), 1):
        for token in tokens:
            if line.count(token):
                expected[(number, token)] += line.count(token)
    assert expected, "the seed should hold placeholders"
    assert {n for n, _ in expected} == contact_rows

    _, findings = lint_path(path)
    reported: Counter[tuple[int, str]] = Counter()
    for f in of_rule(findings, "placeholder"):
        for token in tokens:
            if f"'{token}'" in f.message:
                reported[(f.line, token)] += 1
                if f.line in contact_rows:
                    assert f.severity == "error", f
                assert f.file == path.name
    for key, count in expected.items():
        assert reported[key] == count, (
            f"{path.name}:{key[0]}: {key[1]} reported {reported[key]}x, expected {count}x"
        )


def test_seed_004_other_placeholders_are_warnings() -> None:
    _, findings = lint_path(seed("004"))
    by_line = {(f.line, f.message): f.severity for f in of_rule(findings, "placeholder")}
    dates = [(line, sev) for (line, msg), sev in by_line.items() if "'[Start Date]'" in msg]
    assert [line for line, _ in dates] == [13, 17, 26]
    assert {sev for _, sev in dates} == {"warning"}
    backups = [f for f in of_rule(findings, "placeholder") if "'[Backup Name]'" in f.message]
    assert [f.line for f in backups] == [948, 949, 950, 951, 952]
    assert {f.severity for f in backups} == {"error"}


def test_seed_003_report_template_placeholders_are_not_reported() -> None:
    path = seed("003")
    lines = raw_lines(path)
    assert "[Date]" in lines[305] and "[version]" in lines[308], "seed 003 changed: template not at 306/309"
    _, findings = lint_path(path)
    placeholders = of_rule(findings, "placeholder")
    assert not [f for f in placeholders if 305 <= f.line <= 331]
    assert not [f for f in placeholders if "[Date]" in f.message or "[version]" in f.message]
    # the on-call list is a contact list: an error; the targets are only warnings
    on_call = [f for f in placeholders if 265 <= f.line <= 268]
    assert len(on_call) == 8 and {f.severity for f in on_call} == {"error"}
    targets = [f for f in placeholders if "'[TARGET]'" in f.message]
    assert [f.line for f in targets] == [256, 257, 258]
    assert {f.severity for f in targets} == {"warning"}


def test_seed_001_placeholder_secret_in_runnable_block_is_an_error() -> None:
    path = seed("001")
    assert "sk_your_key" in raw_lines(path)[36]
    _, findings = lint_path(path)
    hits = [f for f in of_rule(findings, "placeholder") if "sk_your_key" in f.message]
    assert [(f.line, f.severity) for f in hits] == [(37, "error")]
    lines = {f.line for f in of_rule(findings, "placeholder")}
    assert {
        38,
        39,
        40,
        54,
    } <= lines  # whsec_your_secret, your_stable_64_char_hex, mongodb://…, your-domain.com


def test_link_texts_and_task_boxes_are_not_placeholders(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "# Release\n\n## Checks\n- [ ] Verify [Release Gates](./gates.md)\n- [x] Tag [v1](https://x.y/z)\n"
        "- [ ] Ask [Name] to approve\n",
    )
    _, findings = lint_path(path)
    placeholders = of_rule(findings, "placeholder")
    assert [(f.line, f.severity) for f in placeholders] == [(6, "warning")]
    assert "'[Name]'" in placeholders[0].message


def test_placeholder_in_a_linked_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, "# Contacts\n\n## On-Call\n- **Primary:** [Name] - [Phone]\n", "contacts.md")
    main = write(tmp_path, "# Release\n\n## Contacts\nSee [the contacts](./contacts.md).\n")
    runbook, findings = lint_path(main)
    hits = of_rule(findings, "placeholder")
    assert {(f.file, f.line) for f in hits} == {("contacts.md", 4)}
    assert set(read_sources(runbook)) == {"runbook.md", "contacts.md"}


# --- rollout, backup, launch day ---------------------------------------------------------


def test_rollout_without_rollback(tmp_path: Path) -> None:
    text = (
        "# Release\n\n## Steps\n- [ ] Back up the database\n- [ ] Enable staged rollout (10% → 50% → 100%)\n"
    )
    _, findings = lint_path(write(tmp_path, text))
    hits = of_rule(findings, "rollout-without-rollback")
    assert [(f.line, f.severity) for f in hits] == [(5, "error")]

    with_criteria = text + "\n## Rollback Criteria\n- Error rate > 5% for 10 minutes\n"
    _, findings = lint_path(write(tmp_path, with_criteria, "other.md"))
    assert not of_rule(findings, "rollout-without-rollback")


def test_seed_001_rollout_has_no_rollback_criteria() -> None:
    _, findings = lint_path(seed("001"))
    assert [(f.line, f.severity) for f in of_rule(findings, "rollout-without-rollback")] == [(68, "error")]


def test_no_backup_before_deploy_on_the_seeds() -> None:
    _, findings = lint_path(seed("001"))
    hits = of_rule(findings, "no-backup-before-deploy")
    assert len(hits) == 1 and hits[0].severity == "warning"
    assert hits[0].line == 26  # "### 1. Database Migrations (if any)" with its migration block
    for prefix in ("002", "003", "004"):
        _, findings = lint_path(seed(prefix))
        assert not of_rule(findings, "no-backup-before-deploy"), prefix


def test_deploy_before_backup(tmp_path: Path) -> None:
    text = (
        "# Release\n\n## Launch\n1. Deploy the backend\n   ```bash\n   ./scripts/deploy.sh prod\n   ```\n"
        "2. Back up the database\n   ```bash\n   pg_dump $DB > b.sql\n   ```\n\n"
        "## Rollback\n1. Deploy the previous version\n"
    )
    _, findings = lint_path(write(tmp_path, text))
    hits = of_rule(findings, "no-backup-before-deploy")
    assert [f.line for f in hits] == [4]
    assert "line 8" in hits[0].message

    backup_first = text.replace("1. Deploy the backend", "1. Roll the dice").replace(
        "2. Back up the database", "2. Deploy the backend"
    )
    backup_first = backup_first.replace("./scripts/deploy.sh prod", "pg_dump $DB > a.sql", 1)
    _, findings = lint_path(write(tmp_path, backup_first, "b.md"))
    assert not of_rule(findings, "no-backup-before-deploy")


def test_contingency_deploys_do_not_count(tmp_path: Path) -> None:
    text = "# Release\n\n## Steps\n- [ ] Announce\n\n## Rollback Procedures\n1. Deploy the previous version\n"
    _, findings = lint_path(write(tmp_path, text))
    assert not of_rule(findings, "no-backup-before-deploy")


def test_friday_launch_with_a_no_friday_policy_is_an_error() -> None:
    path = seed("003")
    runbook, findings = lint_path(path, launch=FRIDAY)
    policy = next(p for p in runbook.policies if p.rule == "no_friday")
    hits = of_rule(findings, "friday-launch")
    assert [(f.line, f.severity) for f in hits] == [(policy.line, "error")]
    assert "Friday" in hits[0].message

    _, monday = lint_path(path, launch=MONDAY)
    assert not [f for f in monday if f.rule in ("friday-launch", "weekend-launch")]
    _, no_launch = lint_path(path)
    assert not of_rule(no_launch, "friday-launch")


def test_friday_launch_without_a_policy_is_a_warning() -> None:
    _, findings = lint_path(seed("002"), launch=FRIDAY)
    assert [f.severity for f in of_rule(findings, "friday-launch")] == ["warning"]


def test_weekend_launch_only_when_the_runbook_forbids_it(tmp_path: Path) -> None:
    text = "# Release\n\n## Steps\n- [ ] Deploy\n\n## Don'ts\n- Deploy on weekends\n"
    runbook, findings = lint_path(write(tmp_path, text), launch=SATURDAY)
    assert [p.rule for p in runbook.policies] == ["no_weekend"]
    assert [(f.rule, f.severity, f.line) for f in of_rule(findings, "weekend-launch")] == [
        ("weekend-launch", "error", 7)
    ]
    _, findings = lint_path(seed("002"), launch=SATURDAY)
    assert not [f for f in findings if f.rule in ("friday-launch", "weekend-launch")]


# --- items, owners, contacts, criteria -------------------------------------------------


def test_duplicate_items_in_the_same_section(tmp_path: Path) -> None:
    text = (
        "# Release\n\n## Checks\n- [ ] Health check passing\n- [ ] Logs clean\n"
        "- [ ] **Health check** passing.\n"
        "\n## Later\n- [ ] Health check passing\n"
    )
    _, findings = lint_path(write(tmp_path, text))
    hits = of_rule(findings, "duplicate-item")
    assert [(f.line, f.severity) for f in hits] == [(6, "warning")]
    assert "line 4" in hits[0].message


def test_seeds_repeat_items_only_across_sections() -> None:
    for path in all_seeds():
        _, findings = lint_path(path)
        assert not of_rule(findings, "duplicate-item"), path.name


def test_unreachable_contact(tmp_path: Path) -> None:
    text = (
        "# Release\n\n## Emergency Contacts\n| Role | Name | Phone | Email |\n|---|---|---|---|\n"
        "| DevOps Lead | Alice | | |\n| Backend Lead | Bob | +1 555 0100 | bob@example.com |\n"
        "| DBA | Carol | [Phone] | - |\n"
    )
    _, findings = lint_path(write(tmp_path, text))
    hits = of_rule(findings, "unreachable-contact")
    assert [(f.line, f.severity) for f in hits] == [(6, "error"), (8, "error")]
    assert "DevOps Lead" in hits[0].message


def test_seed_contacts_with_placeholders_are_unreachable() -> None:
    _, findings = lint_path(seed("002"))
    assert [f.line for f in of_rule(findings, "unreachable-contact")] == [222, 223, 224, 225, 226]
    _, findings = lint_path(seed("004"))
    hits = of_rule(findings, "unreachable-contact")
    assert [f.line for f in hits if f.severity == "error"] == [948, 949, 950, 951, 952, 957, 958, 959]
    # escalation levels 1 and 2 name only roles whose contacts are placeholders
    assert [f.line for f in hits if f.severity == "warning"] == [962, 963]
    _, findings = lint_path(seed("001"))  # team names in a contact column: reachable enough
    assert not of_rule(findings, "unreachable-contact")


def test_missing_owner(tmp_path: Path) -> None:
    _, findings = lint_path(seed("000"))
    hits = of_rule(findings, "missing-owner")
    assert {31, 37, 43, 49} <= {f.line for f in hits}
    assert {f.severity for f in hits} == {"warning"}

    runbook, findings = lint_path(seed("004"))
    owned = {s.line for s in runbook.walk_sections() if s.owner}
    assert owned and not owned & {f.line for f in of_rule(findings, "missing-owner")}

    text = (
        "# Release\n\n## Phase 1: Prep (T-1 day)\n**Owner**: DevOps Lead\n- [ ] Prepare\n"
        "\n## Wrap-up\n- [ ] Report\n"
    )
    _, findings = lint_path(write(tmp_path, text))
    assert [f.line for f in of_rule(findings, "missing-owner")] == [7]


def test_unverifiable_criteria_and_gates() -> None:
    _, findings = lint_path(seed("002"))
    hits = of_rule(findings, "unverifiable-criterion")
    warnings = {f.line: f for f in hits if f.severity == "warning"}
    assert 193 in warnings and "Authentication system failure" in warnings[193].message
    assert 191 not in warnings and 192 not in warnings  # they state thresholds
    _, findings = lint_path(seed("000"))
    infos = [f for f in of_rule(findings, "unverifiable-criterion") if f.severity == "info"]
    assert [f.line for f in infos] == [15, 34]
    _, findings = lint_path(seed("003"))  # its approvals name sign-off roles
    assert not [f for f in of_rule(findings, "unverifiable-criterion") if f.severity == "info"]


def test_import_warnings_become_findings() -> None:
    _, findings = lint_path(seed("000"))
    hits = of_rule(findings, "import-warning")
    assert [f.line for f in hits] == [15, 16, 17, 20, 21, 22, 25]
    assert all("not found" in f.message and f.severity == "warning" for f in hits)


# --- the engine --------------------------------------------------------------------------


@pytest.mark.parametrize("path", all_seeds() if SEEDS.is_dir() else [], ids=lambda p: p.name[:3])
def test_every_seed_lints_with_real_positions(path: Path) -> None:
    runbook, findings = lint_path(path)
    lines = raw_lines(path)
    assert findings
    for f in findings:
        assert f.file == path.name, f
        assert 0 < f.line <= len(lines), f
        assert f.severity in ("error", "warning", "info")
        assert f.message
    assert findings == sorted(findings, key=lambda f: (f.file, f.line, f.rule))
    # the same result when lint reads the sources itself, or gets them keyed by None
    assert lint(runbook) == findings
    assert lint(runbook, sources={None: lines}) == findings


def test_all_five_seeds_are_seen() -> None:
    assert len(all_seeds()) >= 5


def test_findings_json_round_trip() -> None:
    _, findings = lint_path(seed("002"))
    data = json.loads(json.dumps([f.model_dump(mode="json") for f in findings]))
    for record in data:
        assert {"file", "line", "rule", "severity", "message"} <= set(record)
    assert [Finding.model_validate(record) for record in data] == findings
    assert Finding.model_validate_json(findings[0].model_dump_json()) == findings[0]
    assert str(findings[0]).startswith(f"{findings[0].file}:{findings[0].line}: ")


def test_a_third_party_rule_plugs_in_like_the_built_ins(tmp_path: Path) -> None:
    def no_shouting(ctx: LintContext) -> Iterable[Finding]:
        for item in ctx.runbook.all_items():
            if item.text.isupper():
                yield ctx.finding("no-shouting", "info", f"'{item.text}' shouts", item.line, item.file)

    custom = Rule("no-shouting", "info", "Items written in capitals.", no_shouting)
    runbook = load_runbook(write(tmp_path, "# Release\n\n## Steps\n- [ ] DEPLOY NOW\n- [ ] Relax\n"))
    findings = lint(runbook, rules=[*BUILTIN_RULES, custom])
    assert [(f.rule, f.line) for f in of_rule(findings, "no-shouting")] == [("no-shouting", 4)]
    assert [f.rule for f in lint(runbook, rules=[custom])] == ["no-shouting"]
    names = [r.name for r in BUILTIN_RULES]
    assert len(names) == len(set(names))
    assert {"placeholder", "missing-owner", "rollout-without-rollback", "unverifiable-criterion"} <= set(
        names
    )
    assert {"unreachable-contact", "duplicate-item", "friday-launch", "no-backup-before-deploy"} <= set(names)
    assert "import-warning" in names
    assert all(r.description and r.severity in ("error", "warning", "info") for r in BUILTIN_RULES)
