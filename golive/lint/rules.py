"""The built-in lint rules: what makes a runbook unsafe to run, with file:line.

Each rule is a function over a :class:`~golive.lint.engine.LintContext`, registered
in :data:`~golive.lint.registry.BUILTIN_RULES` by :func:`~golive.lint.registry.rule`
when this module is imported (:mod:`golive.lint.builtin` does), the same
:class:`~golive.lint.engine.Rule` value a third-party rule uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from golive.lint.engine import Finding, LintContext, Severity
from golive.lint.registry import BUILTIN_RULES, rule
from golive.runbook.model import CodeBlock, Contact, Item, Section
from golive.runbook.text import clean_title, find_placeholders, normalize, strip_markdown

__all__ = ["BUILTIN_RULES", "rule"]

_Where = tuple[str, int]
_WORK_CONTEXTS = ("normal", "contingency")


def _contact_lines(ctx: LintContext) -> dict[_Where, str]:
    """Lines that say whom to reach (contacts, escalation levels, their table rows),
    each with the role it names."""
    rb = ctx.runbook
    out: dict[_Where, str] = {}
    for section in rb.walk_sections():
        for table in section.tables:
            if table.kind in ("contacts", "escalation"):
                for row in table.rows:
                    label = clean_title(strip_markdown(row.cells[0])) if row.cells else ""
                    out[(ctx.file_of(table.file), row.line)] = label or "contact"
    out.update({(ctx.file_of(e.file), e.line): f"escalation level {e.level}" for e in rb.escalation})
    out.update({(ctx.file_of(c.file), c.line): c.role for c in rb.contacts})
    return out


def _code_lines(ctx: LintContext, block: CodeBlock) -> range:
    """The lines a code block covers, its fences included."""
    count = len(block.code.splitlines())
    lines = ctx.lines(block.file)
    opening = lines[block.line - 1].lstrip(" >") if 0 < block.line <= len(lines) else ""
    if opening.startswith(("```", "~~~")):
        return range(block.line, block.line + count + 2)
    return range(block.line, block.line + count)


@rule(
    "placeholder",
    "warning",
    "An unfilled template placeholder ('[Name]', 'your-domain.com', 'sk_your_key'). An error in a "
    "contact or escalation row and in a runnable command; reference code blocks are not scanned.",
)
def check_placeholders(ctx: LintContext) -> Iterator[Finding]:
    contacts = _contact_lines(ctx)
    reference: set[_Where] = set()
    runnable: set[_Where] = set()
    for block in ctx.runbook.all_code_blocks():
        covered = {(ctx.file_of(block.file), n) for n in _code_lines(ctx, block)}
        (runnable if block.runnable else reference).update(covered)
    commands: dict[_Where, list[str]] = {}
    for item in ctx.runbook.all_items():
        for code in item.commands:
            commands.setdefault((ctx.file_of(code.file), code.line), []).append(code.code)
    for file, lines in ctx.sources.items():
        for number, text in enumerate(lines, 1):
            where = (file, number)
            if where in reference and where not in runnable:
                continue
            for token in find_placeholders(text):
                severity: Severity = "error"
                if where in contacts:
                    message = (
                        f"unfilled placeholder '{token}' in contact '{contacts[where]}': "
                        "a runbook that pages it pages nobody"
                    )
                elif where in runnable or any(token in code for code in commands.get(where, ())):
                    message = f"unfilled placeholder '{token}' in a runnable command: it would run as written"
                else:
                    severity, message = "warning", f"unfilled placeholder '{token}'"
                yield ctx.finding("placeholder", severity, message, number, file)


def _title_sections(ctx: LintContext) -> set[int]:
    """The document title (a lone level-1 root) and the preamble: not task groups."""
    roots = ctx.runbook.sections
    titles = [s for s in roots if s.level == 1]
    out = {id(s) for s in roots if s.level == 0}
    if len(titles) == 1:
        out.add(id(titles[0]))
    return out


@rule(
    "missing-owner",
    "warning",
    "A phase, or a top-level task group, holding tasks or commands that nobody owns.",
)
def check_missing_owner(ctx: LintContext) -> Iterator[Finding]:
    skip = _contact_lines(ctx)
    titles = _title_sections(ctx)
    groups: dict[int, tuple[Section, list[int]]] = {}
    for section in ctx.runbook.walk_sections():
        path = ctx.section_path(section)
        if section.context not in _WORK_CONTEXTS or any(s.owner for s in path):
            continue
        items = [
            i
            for i in section.all_items()
            if i.kind != "bullet"
            and i.context in _WORK_CONTEXTS
            and not i.owner
            and (ctx.file_of(i.file), i.line) not in skip
        ]
        blocks = [b for b in section.code_blocks if b.runnable]
        blocks += [b for i in items for b in i.code_blocks if b.runnable]
        if not items and not blocks:
            continue
        phases = [s for s in path if s.is_phase]
        tops = [s for s in path if id(s) not in titles]
        group = phases[-1] if phases else (tops[0] if tops else section)
        counts = groups.setdefault(id(group), (group, [0, 0]))[1]
        counts[0] += len(items)
        counts[1] += len(blocks)
    for group, (n_items, n_blocks) in groups.values():
        what = "phase" if group.is_phase else "task group"
        work = " and ".join(
            f"{n} {noun}{'s' if n != 1 else ''}"
            for n, noun in ((n_items, "item"), (n_blocks, "command block"))
            if n
        )
        message = f"{what} '{group.title}' has no owner: {work} with nobody responsible; add 'Owner: <role>'"
        yield ctx.finding("missing-owner", "warning", message, group.line, group.file)


@rule(
    "rollout-without-rollback", "error", "A staged rollout with no rollback criteria to watch while it runs."
)
def check_rollout_without_rollback(ctx: LintContext) -> Iterator[Finding]:
    if ctx.runbook.rollback_criteria:
        return
    for plan in ctx.runbook.rollout:
        text = " ".join(line.strip(" #") for line in plan.text.splitlines()).strip()
        message = f"rollout '{_short(text)}' has no rollback criteria: nothing says when to stop or roll back"
        yield ctx.finding("rollout-without-rollback", "error", message, plan.line, plan.file)


@rule(
    "unverifiable-criterion",
    "warning",
    "A rollback criterion with no threshold and no check (warning); a gate with no check, "
    "no sign-off role and no owner (info).",
)
def check_unverifiable(ctx: LintContext) -> Iterator[Finding]:
    for criterion in ctx.runbook.rollback_criteria:
        item = ctx.items_by_id.get(criterion.item) if criterion.item else None
        if criterion.thresholds or (item is not None and item.checks):
            continue
        message = f"nothing can verify '{_short(criterion.text)}'; add a check or a threshold"
        yield ctx.finding("unverifiable-criterion", "warning", message, criterion.line, criterion.file)
    signed = {(ctx.file_of(s.file), s.line) for s in ctx.runbook.sign_offs}
    for item in ctx.runbook.gates():
        if item.checks or item.owner or (ctx.file_of(item.file), item.line) in signed:
            continue
        message = (
            f"gate '{_short(item.text)}' has no check, no sign-off role and no owner: nobody decides it holds"
        )
        yield ctx.finding("unverifiable-criterion", "info", message, item.line, item.file)


_MISSING = {"", "-", "--", "—", "n/a", "na", "none", "tbd", "tba", "?", "..."}


def _usable(value: str | None) -> bool:
    if value is None or strip_markdown(value).strip().lower() in _MISSING:
        return False
    return not find_placeholders(value)


def _reachable(contact: Contact) -> bool:
    return any(_usable(v) for v in (contact.phone, contact.email, contact.contact))


@rule(
    "unreachable-contact",
    "error",
    "A contact with no usable phone, email or contact (error); an escalation level that reaches "
    "nobody (warning).",
)
def check_unreachable(ctx: LintContext) -> Iterator[Finding]:
    unreachable: set[str] = set()
    for contact in ctx.runbook.contacts:
        if _reachable(contact):
            continue
        unreachable.add(normalize(contact.role))
        given = list(
            dict.fromkeys(v for v in (contact.phone, contact.email, contact.contact) if v and v.strip())
        )
        verb = "is a placeholder" if len(given) == 1 else "are placeholders"
        why = f" ({', '.join(given)} {verb})" if given else ""
        message = f"contact '{contact.role}' cannot be reached: no phone, email or contact filled in{why}"
        yield ctx.finding("unreachable-contact", "error", message, contact.line, contact.file)
    for level in ctx.runbook.escalation:
        named = [w for w in level.who if _usable(w)]
        if not named:
            message = f"escalation level {level.level} names nobody: '{_short(level.text)}'"
        elif all(normalize(w) in unreachable for w in named):
            message = (
                f"escalation level {level.level} reaches nobody: {', '.join(named)} "
                "have no usable phone, email or contact"
            )
        else:
            continue
        yield ctx.finding("unreachable-contact", "warning", message, level.line, level.file)


@rule("duplicate-item", "warning", "The same item twice in one section.")
def check_duplicates(ctx: LintContext) -> Iterator[Finding]:
    for section in ctx.runbook.walk_sections():
        first: dict[str, Item] = {}
        for item in section.all_items():
            key = normalize(item.text)
            if not key:
                continue
            if key in first:
                message = (
                    f"'{_short(item.text)}' is already listed at line {first[key].line} in '{section.title}'"
                )
                yield ctx.finding("duplicate-item", "warning", message, item.line, item.file)
            else:
                first[key] = item


@rule(
    "friday-launch",
    "warning",
    "A launch on a Friday (error when the runbook itself says not to deploy on Fridays), or on a "
    "weekend when the runbook says not to (rule 'weekend-launch').",
)
def check_launch_day(ctx: LintContext) -> Iterator[Finding]:
    if ctx.launch is None:
        return
    day = ctx.launch.strftime("%A %Y-%m-%d")
    policies = {p.rule: p for p in ctx.runbook.policies}
    roots = ctx.runbook.sections
    line, file = (roots[0].line, roots[0].file) if roots else (1, None)
    if ctx.launch.weekday() == 4:
        policy = policies.get("no_friday")
        if policy is not None:
            message = f"launch on {day}: the runbook says not to: '{policy.text}' (its don'ts)"
            yield ctx.finding("friday-launch", "error", message, policy.line, policy.file)
        else:
            message = f"launch on {day}: a Friday launch leaves the weekend to handle what goes wrong"
            yield ctx.finding("friday-launch", "warning", message, line, file)
    elif ctx.launch.weekday() >= 5 and "no_weekend" in policies:
        policy = policies["no_weekend"]
        message = f"launch on {day}: the runbook says not to: '{policy.text}'"
        yield ctx.finding("weekend-launch", "error", message, policy.line, policy.file)


_DEPLOY_ITEM = re.compile(
    r"^(?:deploy|release|promote|migrate|roll ?out|ship|publish)\b"
    r"(?! (?:notes?|candidates?|gates?|plan|branch|checklist|schedule|process)\b)"
    r"|^(?:run|execute|apply) (?:the )?(?:deploy\w*|release|(?:database )?migrations?)\b"
    r"|\b(?:deployed|released|promoted)(?: to production)?$"
    r"|\bmigrations? (?:executed|applied|run)\b"
)
_DEPLOY_TITLE = re.compile(r"\b(?:deploy(?:ment)?|release|promot(?:e|ion)|migrations?|roll ?out)\b", re.I)
_NOT_A_STEP = re.compile(
    r"\b(?:pre|post)[- ]?\w|\b(?:preparation|prep|readiness|validation|verification|checklist|tests?|testing"
    r"|notes|reviews?|gates?|procedures?|rollback|overview|timeline|plan|order|process|guide|history"
    r"|failures?|reports?|criteria)\b",
    re.I,
)
_DEPLOY_CODE = re.compile(
    r"\bdeploy\b|\b(?:db push|migrate|upgrade head|promote|kubectl (?:apply|rollout)|helm (?:upgrade|install)"
    r"|fastlane (?:release|production|deploy))\b",
    re.I,
)
_NOT_PRODUCTION = re.compile(r"\b(?:staging|rehears\w*|simulat\w*|dry[- ]?run|sandbox)\b", re.I)
_BACKUP = re.compile(
    r"(?<![/\w.])(?:backups?|back(?:ed|ing)?[- ]up|snapshots?)(?![\w/])"
    r"|backup_\w|pg_dump|pg_basebackup|mysqldump|mongodump",
    re.I,
)


def _shell_lines(block: CodeBlock) -> list[str]:
    return [ln for ln in block.code.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def _step_kind(
    section: Section,
    item: Item | None,
    part: Section | Item | CodeBlock,
    rollouts: set[tuple[str | None, int]],
) -> str | None:
    """``deploy``, ``backup`` or None for one element in document order; ``rollouts``
    are the places of the rollout plans (enabling a staged rollout deploys)."""
    if section.context != "normal" or (item is not None and item.context != "normal"):
        return None
    if isinstance(part, Section):
        has_work = any(b.runnable for b in part.code_blocks) or any(i.kind != "bullet" for i in part.items)
        title = clean_title(part.title)
        if not has_work or _NOT_PRODUCTION.search(title):
            return None
        if _BACKUP.search(title):
            return "backup"
        return "deploy" if _DEPLOY_TITLE.search(title) and not _NOT_A_STEP.search(title) else None
    if isinstance(part, Item):
        text = normalize(part.text)
        if _NOT_PRODUCTION.search(text):
            return None
        if _BACKUP.search(text):
            return "backup"
        rollout = (part.file, part.line) in rollouts
        return "deploy" if rollout or _DEPLOY_ITEM.search(text) else None
    if not part.runnable:
        return None
    lines = [ln for ln in _shell_lines(part) if not _NOT_PRODUCTION.search(ln)]
    if any(_BACKUP.search(ln) for ln in lines):
        return "backup"
    return "deploy" if any(_DEPLOY_CODE.search(ln) for ln in lines) else None


@rule(
    "no-backup-before-deploy",
    "warning",
    "A deploy step (deploy, release, promote, migrate) before any backup step, or no backup step at all.",
)
def check_backup_before_deploy(ctx: LintContext) -> Iterator[Finding]:
    backup: Section | Item | CodeBlock | None = None
    deploy: tuple[Section, Section | Item | CodeBlock] | None = None
    rollouts = {(plan.file, plan.line) for plan in ctx.runbook.rollout}
    for section, item, part in ctx.ordered():
        kind = _step_kind(section, item, part, rollouts)
        if kind == "backup" and backup is None:
            if deploy is None:
                return
            backup = part
        elif kind == "deploy" and deploy is None:
            deploy = (section, part)
    if deploy is None:
        return
    section, part = deploy
    name = part.title if isinstance(part, Section) else part.text if isinstance(part, Item) else None
    what = f"deploy step '{_short(clean_title(name))}'" if name else f"deploy command in '{section.title}'"
    if backup is None:
        message = f"{what} and no backup step anywhere: add a backup (pg_dump, snapshot) before deploying"
    else:
        message = f"{what} comes before the first backup step (line {backup.line}): back up before deploying"
    policy = next((p for p in ctx.runbook.policies if p.rule == "backup_before_deploy"), None)
    if policy is not None:
        message += f"; the runbook's own rule: '{policy.text}' (line {policy.line})"
    yield ctx.finding("no-backup-before-deploy", "warning", message, part.line, part.file)


@rule("import-warning", "warning", "Something the importer could not take in (a linked file not found, …).")
def check_import_warnings(ctx: LintContext) -> Iterator[Finding]:
    for warning in ctx.runbook.warnings:
        yield ctx.finding("import-warning", "warning", warning.message, warning.line, warning.file)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
