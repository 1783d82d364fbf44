"""The change report: a `Diff` with its cost and sovereignty, as Markdown for a
pull request and as a few lines for a terminal.

The same inputs give byte-identical output, so a CI job can compare reports, and the
first line is a hidden marker naming the stack, so it can find and update its own
comment.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from components.errors import SouverainError
from souverain.cost import Estimate, price_plan
from souverain.cost_model import unit_amount, vat_percent
from souverain.diff import ABSENT, CREATE, DELETE, REPLACE, UPDATE, Diff, ResourceChange
from souverain.plan import Plan
from souverain.render import short_type
from souverain.stops import Stop, protected_stops

MAX_VALUE_CHARS = 80
HEADINGS = {
    CREATE: "To create",
    UPDATE: "To update",
    REPLACE: "To replace",
    DELETE: "To delete",
}
SIGNS = {CREATE: "+", UPDATE: "~", REPLACE: "±", DELETE: "-"}


def marker(stack: str) -> str:
    """The hidden first line a CI job looks for to update its one comment."""
    return f"<!-- souverain:preview stack={stack} -->"


@dataclass(frozen=True)
class LineChange:
    """One cost line item whose quantity or amount differs between two plans."""

    item: str
    before: str
    after: str
    difference: Decimal


@dataclass(frozen=True)
class CostChange:
    """The monthly cost of both plans, and the line items that differ."""

    before: Estimate
    after: Estimate
    lines: tuple[LineChange, ...]

    @property
    def net(self) -> Decimal:
        """The difference of the net monthly totals, EUR."""
        return self.after.net - self.before.net

    @property
    def gross(self) -> Decimal:
        """The difference of the gross monthly totals, EUR."""
        return self.after.gross - self.before.gross


@dataclass(frozen=True)
class Report:
    """The rendered report and what a command needs to decide its exit code."""

    markdown: str
    summary: str
    sovereign: bool


def signed(amount: Decimal) -> str:
    """+9.49, -2.50, 0.00."""
    return f"+{amount}" if amount > 0 else str(amount)


def _line_text(quantity: Decimal, unit: Decimal, monthly: Decimal) -> str:
    return f"{quantity.normalize():f} × {unit_amount(unit)} = {monthly}"


def compare_costs(
    before: Plan, after: Plan, prices: dict[str, Any] | None = None
) -> CostChange:
    """Price both plans at the same list prices; keep the line items that differ."""
    old, new = price_plan(before, prices), price_plan(after, prices)
    old_lines = {line.item: line for line in old.lines}
    new_lines = {line.item: line for line in new.lines}
    changed = []
    for item in sorted(set(old_lines) | set(new_lines)):
        was, now = old_lines.get(item), new_lines.get(item)
        if was and now and (was.quantity, was.monthly) == (now.quantity, now.monthly):
            continue
        zero = Decimal("0.00")
        changed.append(
            LineChange(
                item,
                _line_text(was.quantity, was.unit_price, was.monthly) if was else "—",
                _line_text(now.quantity, now.unit_price, now.monthly) if now else "—",
                (now.monthly if now else zero) - (was.monthly if was else zero),
            )
        )
    return CostChange(old, new, tuple(changed))


def shown(value: Any) -> str:
    """A value on one line, as short as a table cell allows."""
    if value is ABSENT:
        return "(none)"
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = text.replace("\n", "\\n")
    if len(text) > MAX_VALUE_CHARS:
        text = f"{text[:MAX_VALUE_CHARS]}… ({len(text)} chars)"
    return text


def _code(text: str) -> str:
    """Inline code safe in a table cell: no pipe, no backtick breaks it."""
    text = text.replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _property_cell(change: ResourceChange) -> str:
    lines = []
    for p in change.properties:
        if p.secret:
            text = f"{_code(p.path)}: changed (secret)"
        else:
            text = f"{_code(p.path)}: {_code(shown(p.old))} → {_code(shown(p.new))}"
        if p.replaces:
            text += " (replaces)"
        lines.append(text)
    return "<br>".join(lines)


def _resource_tables(diff: Diff) -> list[str]:
    lines = []
    for action in (CREATE, UPDATE, REPLACE, DELETE):
        changes = diff.of(action)
        if not changes:
            continue
        lines += [f"### {HEADINGS[action]} ({len(changes)})", ""]
        with_properties = action in (UPDATE, REPLACE)
        if with_properties:
            lines += ["| type | name | changes |", "| --- | --- | --- |"]
        else:
            lines += ["| type | name |", "| --- | --- |"]
        undecided = False
        for change in changes:
            name = _code(change.name)
            if not change.replacement_known:
                name += " †"
                undecided = True
            row = f"| {_code(short_type(change.type))} | {name} |"
            if with_properties:
                row += f" {_property_cell(change)} |"
            lines.append(row)
        if undecided:
            lines += [
                "",
                "† Its provider decides for itself whether these changes replace it; "
                "only `pulumi preview` can tell.",
            ]
        lines.append("")
    if diff.ignored:
        lines += [
            "### Left as they are",
            "",
            "The program tells Pulumi to ignore these inputs on existing resources "
            "(`ignoreChanges`): the new values apply to resources created from now on.",
            "",
            "| name | input |",
            "| --- | --- |",
        ]
        lines += [f"| {_code(name)} | {_code(path)} |" for name, path in diff.ignored]
        lines.append("")
    return lines


def _stops_section(stops: Sequence[Stop]) -> list[str]:
    """What `pulumi up` will refuse to delete, and how to go ahead."""
    if not stops:
        return []
    lines = [
        f"### Will stop `pulumi up` ({len(stops)})",
        "",
        "This change replaces or deletes resources protected from deletion, so "
        "`pulumi up` stops at the first of them, half done:",
        "",
        "| type | name | change | protected by |",
        "| --- | --- | --- | --- |",
    ]
    for stop in stops:
        change = stop.change
        protection = f"{_code(stop.protection)} on"
        if stop.only_if_not_empty:
            protection = f"{_code(stop.protection)} off, if it holds objects"
        lines.append(
            f"| {_code(short_type(change.type))} | {_code(change.name)} | "
            f"{change.action} | {protection} |"
        )
    lines.append("")
    if any(not stop.only_if_not_empty for stop in stops):
        lines += [
            "Switch the protection off first, in a `pulumi up` of its own: set "
            "`souverain:deletionProtection` to `false` (or `deleteProtection` on a "
            "resource you declare yourself) and run `pulumi up`; then apply this "
            "change, and switch the protection back on (docs/sovereignty.md). In a "
            "production stack, the sovereignty verdict fails while it is off.",
            "",
        ]
    if any(stop.only_if_not_empty for stop in stops):
        lines += [
            "A bucket that still holds objects is not deleted: copy out what you "
            "need and empty it first, or set `souverain:bucketsForceDestroy` to "
            "`true` and run `pulumi up` before this change, which then deletes "
            "every object.",
            "",
        ]
    return lines


def _cost_section(cost: CostChange | str) -> list[str]:
    lines = ["### Monthly cost", ""]
    if isinstance(cost, str):
        return [*lines, f"The cost cannot be estimated: {cost}", ""]
    before, after = cost.before, cost.after
    percent = vat_percent(after.vat_rate)
    lines += [
        "| EUR per month | before | after | difference |",
        "| --- | ---: | ---: | ---: |",
        f"| net | {before.net} | {after.net} | {signed(cost.net)} |",
        f"| VAT {percent}% | {before.vat} | {after.vat} | "
        f"{signed(after.vat - before.vat)} |",
        f"| gross | {before.gross} | {after.gross} | {signed(cost.gross)} |",
        "",
    ]
    if cost.lines:
        lines += [
            "| line item that changes | before | after | difference |",
            "| --- | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {line.item} | {line.before} | {line.after} | "
            f"{signed(line.difference)} |"
            for line in cost.lines
        ]
        lines.append("")
    as_of = sorted({line.as_of for line in [*before.lines, *after.lines]})
    lines += [
        f"Both sides at the list prices in souverain/prices.json (as of "
        f"{', '.join(as_of) or '-'}), usage-based items at `souverain cost`'s "
        "assumed use.",
        "",
    ]
    return lines


def _sovereignty_section(plan: Plan, project_dir: Path | None) -> tuple[str, bool]:
    """The sovereignty report of the changed stack, as Markdown, and its verdict."""
    from souverain.sovereignty import sovereignty_report

    report = sovereignty_report(plan, project_dir=project_dir)
    return report.render_markdown(), report.passed


def render_summary(
    diff: Diff, cost: CostChange | str, sovereign: bool, stops: Sequence[Stop] = ()
) -> str:
    """The report in a few lines for a terminal: counts, resources, cost, verdict.

    `stops` adds one line naming the protected resources `pulumi up` will stop at.
    """
    lines = [f"{diff.stack}: {diff.summary()} ({diff.unchanged} unchanged)"]
    lines += [
        f"  {SIGNS[c.action]} {short_type(c.type)} {c.name}" for c in diff.changes
    ]
    if stops:
        noun = "resource" if len(stops) == 1 else "resources"
        lines.append(
            f"will stop pulumi up: {len(stops)} protected {noun} to replace or "
            f"delete ({', '.join(stop.change.name for stop in stops)}); switch "
            "the protection off first, as the report says"
        )
    if isinstance(cost, str):
        lines.append(f"monthly cost: cannot be estimated: {cost}")
    else:
        lines.append(
            f"monthly cost: {cost.before.net} → {cost.after.net} EUR net "
            f"({signed(cost.net)}), {cost.before.gross} → {cost.after.gross} EUR "
            f"gross ({signed(cost.gross)})"
        )
    lines.append(f"sovereignty: {'passed' if sovereign else 'failed'}")
    return "\n".join(lines) + "\n"


# Why a preview without its unchanged resources gets no totals.
PARTIAL_PREVIEW = (
    "the preview lists only the changed resources, so the stack's totals cannot be "
    "added up: write it with `pulumi preview --json --show-sames`"
)


def build_report(
    diff: Diff,
    before: Plan,
    after: Plan,
    base: str,
    project_dir: Path | None = None,
    prices: dict[str, Any] | None = None,
    complete: bool = True,
) -> Report:
    """The whole report of `diff`; `base` says in a sentence what it compares with.

    `complete` is False when the plans hold only the changed resources (a preview
    without `--show-sames`): the cost is then left out, and the sovereignty check
    covers the changed resources only.
    """
    cost: CostChange | str = PARTIAL_PREVIEW
    if complete:
        try:
            cost = compare_costs(before, after, prices)
        except SouverainError as err:
            cost = str(err)
    sovereignty, sovereign = _sovereignty_section(after, project_dir)
    stops = protected_stops(diff, before)
    lines = [
        marker(diff.stack),
        f"## Changes to `{diff.stack}`",
        "",
        base,
        "",
        f"**{diff.summary()}** ({diff.unchanged} unchanged)",
        "",
    ]
    if not complete:
        lines += [
            f"> Note: {PARTIAL_PREVIEW}; the sovereignty check below covers only "
            "the changed resources.",
            "",
        ]
    lines += _stops_section(stops)
    lines += _resource_tables(diff)
    lines += _cost_section(cost)
    markdown = "\n".join(lines) + "\n" + sovereignty
    return Report(markdown, render_summary(diff, cost, sovereign, stops), sovereign)
