"""The native (YAML) runbook format: loading, errors with positions, dump, schema."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from golive.errors import NotFoundError, RunbookFormatError
from golive.runbook.model import (
    CheckSpec,
    CodeBlock,
    Contact,
    Criterion,
    DurationRange,
    Gate,
    Item,
    Note,
    RolloutPlan,
    RolloutStep,
    Runbook,
    Schedule,
    Section,
    SignOff,
    Table,
    TableRow,
    Threshold,
)
from golive.runbook.native import dump_native, json_schema, load_native, parse_native

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str, name: str = "rb.golive.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> tuple[str, str]:
    """Load ``text`` expecting failure; return (location, message)."""
    path = write(tmp_path, text)
    with pytest.raises(RunbookFormatError) as info:
        load_native(path)
    err = info.value
    assert err.location is not None
    assert err.location.startswith(f"{path}:")
    assert "\n" not in str(err)
    return err.location.removeprefix(f"{path}:"), err.message


REALISTIC = """
golive: 1
title: Payments API Go-Live
metadata:
  owner: Payments Team
  version: "1.4"
contacts:
  - role: Release Manager
    name: Ana
    email: ana@example.com
sections:
  - title: Phase 1 — Preparation
    owner: Release Manager
    schedule:
      label: T-7d
      start: -7d
      end: -1d
    items:
      - text: Staging is healthy
        owner: SRE
        checks:
          - kind: http
            url: https://staging.example.com/healthz
            expect_status: 200
      - text: QA sign-off
        gate: {kind: hard, rule: annotation}
        checked: false
      - text: Run the smoke suite
        kind: step
        duration: {min: 15m, max: 30m, text: 15-30 minutes}
        code_blocks:
          - language: bash
            runnable: true
            code: |
              make smoke
              make report
    tables:
      - kind: metrics
        header: [Metric, Healthy, Rollback]
        rows:
          - cells: [Error rate, "< 0.5%", "> 1%"]
          - [p99 latency, "< 300ms", "> 800ms"]
  - title: Launch
    schedule: {label: T-0, start: 0s}
    items:
      - text: Flip the flag
        thresholds:
          - {metric: error_rate, subject: api, op: ">", value: 1, unit: "%", for_duration: 10m,
             text: error rate > 1% for 10m}
    notes:
      - text: "Announce in #launch."
rollback_criteria:
  - section: launch
    text: Error rate above 1% for 10 minutes
    thresholds:
      - {metric: error_rate, subject: api, op: ">", value: 1, unit: "%", for_duration: 10m,
         text: error rate > 1% for 10m}
"""


def test_realistic_runbook_loads(tmp_path: Path) -> None:
    rb = load_native(write(tmp_path, REALISTIC))
    assert rb.title == rb.title_raw == "Payments API Go-Live"
    assert rb.file == str(tmp_path / "rb.golive.yaml") and len(rb.content_hash) == 64
    assert rb.metadata.version == "1.4"
    assert rb.contacts[0].line == 7 and rb.contacts[0].email == "ana@example.com"

    prep, launch = rb.sections
    assert (prep.id, prep.level, prep.line, prep.title_raw) == ("phase-1-preparation", 1, 11, prep.title)
    assert prep.schedule is not None and prep.schedule.start == timedelta(days=-7)
    assert prep.schedule.end == timedelta(days=-1)
    assert [p.id for p in rb.phases()] == ["phase-1-preparation", "launch"]

    healthy, qa, smoke = prep.items
    assert healthy.kind == "task" and healthy.text_raw == "Staging is healthy" and healthy.line == 18
    assert healthy.id == "phase-1-preparation/staging-is-healthy"
    assert healthy.checks[0].kind == "http"
    assert healthy.checks[0].model_extra == {
        "url": "https://staging.example.com/healthz",
        "expect_status": 200,
    }
    assert qa.gate == Gate(kind="hard", rule="annotation") and qa.checked is False and qa.line == 24
    assert rb.gates() == [qa]
    assert smoke.kind == "step"
    assert smoke.duration is not None and smoke.duration.max == timedelta(minutes=30)
    block = smoke.code_blocks[0]
    assert block.code == "make smoke\nmake report\n" and block.line == 31 and block.runnable
    assert block.id == f"{smoke.id}/code-1"

    table = prep.tables[0]
    assert table.line == 37 and table.kind == "metrics"
    assert [(row.line, row.cells[0]) for row in table.rows] == [(40, "Error rate"), (41, "p99 latency")]

    threshold = launch.items[0].thresholds[0]
    assert threshold.for_duration == timedelta(minutes=10) and threshold.value == 1.0
    assert launch.notes[0].line == 50
    assert rb.rollback_criteria[0].line == 52 and rb.rollback_criteria[0].thresholds[0].op == ">"


def test_nested_sections_and_items(tmp_path: Path) -> None:
    rb = load_native(
        write(
            tmp_path,
            """
            title: Nested
            sections:
              - title: Launch day
                sections:
                  - title: Morning
                    items:
                      - text: Deploy
                        items:
                          - text: Database
                            kind: bullet
                          - text: Application
                            items:
                              - text: Canary
                    sections:
                      - title: Deep
                  - title: Explicit
                    level: 3
                    sections:
                      - title: Below explicit
            """,
        )
    )
    top = rb.sections[0]
    morning, explicit = top.sections
    assert [s.level for s in rb.walk_sections()] == [1, 2, 3, 3, 4]
    assert [s.line for s in rb.walk_sections()] == [3, 5, 15, 16, 19]
    assert morning.sections[0].title == "Deep" and explicit.sections[0].level == 4
    deploy = morning.items[0]
    assert [i.text for i in deploy.walk()] == ["Deploy", "Database", "Application", "Canary"]
    assert [i.kind for i in deploy.walk()] == ["task", "bullet", "task", "task"]
    assert [i.line for i in deploy.walk()] == [7, 9, 11, 13]
    ids = [i.id for i in rb.all_items()]
    assert len(set(ids)) == len(ids) and all(i.startswith("morning/") for i in ids)


def test_authoring_conveniences(tmp_path: Path) -> None:
    rb = load_native(
        write(
            tmp_path,
            """
            title: 2024
            metadata: {version: 1.10, last_updated: 2024-05-01}
            sections:
              - &base {title: A, owner: Ops, id: a}
              - <<: *base
                id: b
                title: B
                fields: {ticket: 1234, approved: yes}
                tables:
                  - header: [Step, Weight]
                    rows: [[1, 10], [2, 50]]
            """,
        )
    )
    assert rb.title == "2024" and rb.metadata.version == "1.10" and rb.metadata.last_updated == "2024-05-01"
    a, b = rb.sections
    assert (a.id, b.id, b.title, b.owner) == ("a", "b", "B", "Ops")
    assert b.fields == {"ticket": "1234", "approved": "yes"}
    assert [row.cells for row in b.tables[0].rows] == [["1", "10"], ["2", "50"]]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        pytest.param(
            """
            title: X
            sections:
              - title: A
              - titel: B
            """,
            "4:5",
            "sections[1]: unknown field 'titel' (did you mean 'title'?)",
            id="unknown-field",
        ),
        pytest.param(
            """
            title: X
            sections:
              - title: A
                items:
                  - text: a
                  - text: b
                  - text: c
                    checked: maybe
            """,
            "8:18",
            "sections[0].items[2].checked: expected true or false, got 'maybe'",
            id="wrong-type",
        ),
        pytest.param(
            """
            title: X
            sections:
              - title: A
                schedule:
                  label: prep
                  start: -14 fortnights
            """,
            "6:14",
            "sections[0].schedule.start: expected a duration such as '90m', '2h' or '-14d', "
            "got '-14 fortnights'",
            id="bad-duration",
        ),
        pytest.param(
            """
            title: X
            sections:
              - title: A
                items:
                  - text: fine
                  - owner: bob
                    checked: true
            """,
            "6:9",
            "sections[0].items[1]: missing required field 'text'",
            id="missing-field",
        ),
        pytest.param(
            """
            title: X
            sections:
              - title: A
                items: {text: a}
            """,
            "4:12",
            "sections[0].items: expected a list, got a mapping",
            id="mapping-for-list",
        ),
        pytest.param(
            """
            title: X
            sections:
              - title: A
                items:
                  - {text: a, kind: tsk}
            """,
            "5:25",
            "sections[0].items[0].kind: expected one of 'task', 'step' or 'bullet', got 'tsk'",
            id="bad-literal",
        ),
        pytest.param(
            """
            title: X
            sections:
              - title: [A
            """,
            "4:1",
            "invalid YAML: expected ',' or ']', but got '<stream end>'",
            id="yaml-syntax",
        ),
        pytest.param(
            """
            title: X
              owner: indented
            """,
            "2:8",
            "invalid YAML: mapping values are not allowed here",
            id="yaml-syntax-indent",
        ),
        pytest.param(
            """
            title: X
            sections:
              - title: A
                owner: a
                owner: b
            """,
            "5:5",
            "sections[0]: duplicate key 'owner' (first at line 4)",
            id="duplicate-key",
        ),
        pytest.param(
            """
            title: X
            title: Y
            """,
            "2:1",
            "duplicate key 'title' (first at line 1)",
            id="duplicate-top-key",
        ),
        pytest.param(
            """
            title: X
            sections:
              - {title: A, id: same}
              - {title: B, id: same}
            """,
            "4:20",
            "sections[1]: duplicate id 'same' (first at line 3)",
            id="duplicate-id",
        ),
        pytest.param("- title: X\n", "1:1", "expected a mapping at the top level, got a list", id="top-list"),
        pytest.param(
            "just text\n", "1:1", "expected a mapping at the top level, got 'just text'", id="scalar"
        ),
        pytest.param("", "1:1", "empty runbook", id="empty"),
        pytest.param("# only a comment\n", "1:1", "empty runbook", id="only-comment"),
        pytest.param("sections: []\n", "1:1", "missing required field 'title'", id="no-title"),
        pytest.param(
            "golive: 2\ntitle: X\n", "1:9", "golive: unsupported native format version 2", id="version"
        ),
        pytest.param(
            "title: X\n---\ntitle: Y\n",
            "2:1",
            "invalid YAML: expected a single document in the stream, but found another document",
            id="two-documents",
        ),
        pytest.param("title: X\x07\n", "1:9", "invalid YAML: unacceptable character #x0007", id="control"),
    ],
)
def test_errors_name_file_line_column(tmp_path: Path, text: str, where: str, message: str) -> None:
    location, got = load_error(tmp_path, text)
    assert location == where
    assert got.startswith(message), got


def test_only_the_first_error_is_reported_with_a_count(tmp_path: Path) -> None:
    location, message = load_error(
        tmp_path,
        """
        title: X
        sections:
          - title: A
            items:
              - {text: a, checked: maybe}
              - {text: b, optional: perhaps}
        """,
    )
    assert location == "5:28"
    assert message == "sections[0].items[0].checked: expected true or false, got 'maybe' (and 1 more error)"


def test_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        load_native(tmp_path / "absent.yaml")
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"title: X\nowner: caf\xe9\n")
    with pytest.raises(RunbookFormatError) as info:
        load_native(path)
    assert info.value.location == f"{path}:2:11"


def test_parse_native_uses_the_given_name() -> None:
    with pytest.raises(RunbookFormatError) as info:
        parse_native("title: X\nbogus: 1\n", "inline.yaml")
    assert str(info.value) == "inline.yaml:2:1: unknown field 'bogus'"


def _hand_built() -> Runbook:
    item = Item(
        id="prep/verify",
        kind="task",
        text="Verify staging",
        text_raw="- [ ] Verify **staging**",
        line=12,
        checked=False,
        owner="SRE",
        duration=DurationRange(min=timedelta(minutes=15), max=timedelta(minutes=30), text="15-30 minutes"),
        gate=Gate(kind="phase", rule="annotation"),
        checks=[CheckSpec(kind="http", url="https://example.com/healthz", expect_status=200)],
        code_blocks=[
            CodeBlock(id="prep/verify/code-1", code="curl -f x\necho ok\n", language="bash", line=14)
        ],
        thresholds=[
            Threshold(
                metric="error_rate",
                subject="api",
                op=">",
                value=1.5,
                unit="%",
                for_duration=timedelta(minutes=10),
                text="error rate > 1.5% for 10m",
            )
        ],
        items=[Item(id="prep/child", kind="bullet", text="yes", text_raw="yes", line=20)],
    )
    section = Section(
        id="prep",
        title="Prep",
        title_raw="## Prep",
        level=2,
        line=10,
        schedule=Schedule(label="T-14d", start=timedelta(days=-14), end=timedelta(hours=-1, minutes=-30)),
        fields={"Owner": "Ops", "Ticket": "1234"},
        items=[item],
        tables=[Table(header=["a", "b"], rows=[TableRow(cells=["1", "true"], line=31)], line=30)],
        notes=[Note(text="multi\nline: note", line=40, kind="quote")],
        sections=[Section(id="prep/sub", title="Sub", title_raw="Sub", level=3, line=50)],
    )
    return Runbook(
        title="Round trip",
        title_raw="# Round trip",
        file="runbook.md",
        content_hash="abc123",
        sections=[section],
        contacts=[Contact(role="SRE", name="Kim", line=60)],
        sign_offs=[SignOff(role="QA", source="table", line=70, section="prep")],
        rollback_criteria=[Criterion(text="errors", line=80, section="prep", thresholds=[])],
        rollout=[
            RolloutPlan(
                steps=[RolloutStep(weight=10, bake=timedelta(hours=1)), RolloutStep(weight=100)],
                text="10% -> 100%",
                line=90,
            )
        ],
    )


def _without_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_lines(v) for k, v in value.items() if k != "line"}
    if isinstance(value, list):
        return [_without_lines(v) for v in value]
    return value


def test_dump_then_load_round_trips() -> None:
    original = _hand_built()
    text = dump_native(original)
    assert text.startswith("golive: 1\n")
    assert parse_native(text, "dumped.yaml") == original  # lines are dumped, so kept too

    # without the line fields, they come from the YAML positions instead
    stripped = _without_lines(original.model_dump(mode="json", exclude_defaults=True))
    reloaded = parse_native(yaml.safe_dump(stripped), "stripped.yaml")
    assert _without_lines(reloaded.model_dump(mode="json")) == _without_lines(
        original.model_dump(mode="json")
    )


def test_example_round_trips(tmp_path: Path) -> None:
    rb = load_native(ROOT / "examples" / "checkout.golive.yaml")
    assert load_native(write(tmp_path, dump_native(rb))) == rb


def test_checkout_example_loads() -> None:
    rb = load_native(ROOT / "examples" / "checkout.golive.yaml")
    assert rb.title == "Checkout Service Go-Live"
    assert [s.id for s in rb.phases()] == ["prep", "launch"]
    prep = rb.sections[0]
    assert prep.schedule is not None and prep.schedule.start == timedelta(weeks=-1)
    assert [step.weight for step in rb.rollout[0].steps] == [10, 50, 100]
    (criterion,) = rb.rollback_criteria
    assert criterion.thresholds[0].expression == "error_rate > 1% for 10m"
    assert rb.find_section(criterion.section) is not None
    assert {c.role for c in rb.contacts} >= {"Release Manager"}
    assert [s.role for s in rb.sign_offs] == ["Release Manager", "QA Lead"]
    assert any(item.checks for item in rb.all_items())


def test_schema_file_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_schema.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    on_disk = json.loads((ROOT / "schema" / "runbook.schema.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(json_schema()))


def test_schema_relaxes_authoring_defaults() -> None:
    schema = json_schema()
    defs = schema["$defs"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["title"] and "golive" in schema["properties"]
    assert defs["Item"]["required"] == ["text"]
    assert defs["Section"]["required"] == ["title"]
    assert "required" not in defs["CodeBlock"] or defs["CodeBlock"]["required"] == ["code"]
    assert defs["Gate"]["required"] == ["kind", "rule"]  # no authoring default for these
    assert defs["EscalationLevel"]["required"] == ["level", "who", "text"]
    assert defs["Schedule"]["properties"]["start"]["anyOf"][0]["type"] == ["string", "number"]


def test_example_matches_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data = yaml.safe_load((ROOT / "examples" / "checkout.golive.yaml").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json_schema()).validate(data)
