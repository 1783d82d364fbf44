"""The sovereignty report: who holds each resource, under which law, and where.

Two entry points are stable, for the commands and for other reports (PR comments):

- `sovereignty_report(plan, backend=None, project_dir=None)` runs every rule of
  `sovereignty_rules.py` over an offline `Plan`, and the state-backend rule over
  `backend` (found as the Pulumi CLI would, from the environment and the project
  around `project_dir`, when not given). It returns a `SovereigntyReport`.
- `SovereigntyReport.render_markdown()` renders it for a pull-request comment;
  `render_text()` renders the per-resource table for a terminal, and `verdict()` the
  lines `souverain plan` prints after its tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from souverain import places
from souverain.jurisdictions import CLUSTER, holder_of, kind_of, package_of
from souverain.render import short_type
from souverain.sovereignty_rules import BUCKET, Resource, Violation, check_resource
from souverain.state_backend import (
    BackendSetting,
    backend_reminder,
    check_state_backend,
    describe_backend,
    find_backend,
)

if TYPE_CHECKING:
    from souverain.plan import Plan, PlannedResource

UNKNOWN_HOLDER = "unknown"
# Where a resource is when its inputs name no place: kept by its holder's API.
HOLDER_PLACES = {
    "hcloud": ("Hetzner's Cloud API (DE)", ("DE",)),
    "scaleway": ("Scaleway's API (FR)", ("FR",)),
    "bunny": ("bunny.net's API (SI)", ("SI",)),
}
# bunny.net serves these from every edge location: public by nature.
WORLDWIDE = {
    "bunny:PullZone": "bunny.net's edge, worldwide (cached public copies)",
    "bunny:DnsZone": "bunny.net's anycast DNS, worldwide (public records)",
    "bunny:DnsRecord": "bunny.net's anycast DNS, worldwide (public records)",
}


@dataclass(frozen=True)
class ResourceRow:
    """One resource of the report: who holds it and where its data lives."""

    name: str
    type: str
    provider: str
    jurisdiction: str
    """The holder and its legal home, e.g. 'Hetzner Online GmbH (DE)'."""
    location: str
    """Where the data lives, e.g. 'fsn1 (Falkenstein, DE)'."""
    countries: tuple[str, ...] = ()
    """Every country the holder or the data is in."""


@dataclass(frozen=True)
class SovereigntyReport:
    """Every resource's holder and data location, and every broken rule."""

    project: str
    stack: str
    rows: list[ResourceRow]
    violations: list[Violation]
    backend: str
    """The state backend, where it is, and where its URL comes from."""
    countries: tuple[str, ...] = field(default=())
    """Every country a holder or the data is in, sorted."""
    reminders: tuple[str, ...] = field(default=())
    """What to settle before `pulumi up` that breaks no rule yet (no backend set)."""

    @property
    def passed(self) -> bool:
        """True when no rule is broken."""
        return not self.violations

    def verdict(self) -> str:
        """One line when it passes; the violations, one per line, when not."""
        if self.passed:
            where = ", ".join(self.countries) or "no country"
            return (
                f"sovereignty: {len(self.rows)} resources, all in the EU ({where}) "
                "— passed\n"
            )
        count = len(self.violations)
        noun = "violation" if count == 1 else "violations"
        lines = [f"sovereignty: {count} {noun} — failed"]
        lines += [f"  - [{v.rule}] {v}" for v in self.violations]
        return "\n".join(lines) + "\n"

    def render_text(self) -> str:
        """The per-resource table, the state backend and the verdict."""
        header = ("resource", "type", "held by", "data location")
        table = [header] + [
            (r.name, short_type(r.type), r.jurisdiction, r.location) for r in self.rows
        ]
        widths = [max(len(row[i]) for row in table) for i in range(3)]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True))
            + "  "
            + row[3]
            for row in table
        ]
        lines += ["", f"state backend: {self.backend}"]
        lines += [f"note: {reminder}" for reminder in self.reminders]
        return "\n".join([*lines, ""]) + "\n" + self.verdict()

    def render_markdown(self) -> str:
        """The report as a pull-request comment: verdict, violations, summary, rows."""
        status = "passed" if self.passed else "failed"
        lines = [f"### Sovereignty of `{self.stack}`: {status}", ""]
        if self.passed:
            where = ", ".join(self.countries)
            lines.append(f"{len(self.rows)} resources, all in the EU ({where}).")
        else:
            lines += ["| rule | resource | problem and fix |", "| --- | --- | --- |"]
            lines += [
                f"| {v.rule} | `{_cell(v.resource)}` | {_cell(v.message)} |"
                for v in self.violations
            ]
        lines += ["", f"State backend: {_cell(self.backend)}", ""]
        lines += [f"Note: {_cell(reminder)}\n" for reminder in self.reminders]
        lines += ["| provider | held by | resources |", "| --- | --- | ---: |"]
        for (provider, holder), count in _by_holder(self.rows).items():
            lines.append(f"| {provider} | {_cell(holder)} | {count} |")
        lines += ["", "<details><summary>Every resource</summary>", ""]
        lines += ["| resource | type | data location |", "| --- | --- | --- |"]
        lines += [
            f"| `{r.name}` | `{short_type(r.type)}` | {_cell(r.location)} |"
            for r in self.rows
        ]
        lines += ["", "</details>"]
        return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _by_holder(rows: list[ResourceRow]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row.provider, row.jurisdiction)
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def as_resource(planned: PlannedResource) -> Resource:
    """A planned resource as the rules see it."""
    return Resource(planned.type, planned.name, planned.inputs, planned.custom)


def describe(resource: Resource, cluster: places.Place | None) -> ResourceRow:
    """The report's row for one resource; `cluster` is where the servers are."""
    package, kind = package_of(resource.type), kind_of(resource.type)
    holder = holder_of(resource.type, resource.custom)
    found = places.placements(resource.type, resource.inputs) if resource.custom else []
    if kind == BUCKET and found:
        holder = found[0].holder
    if found:
        text = "; ".join(p.text for p in found)
        countries = tuple(c for p in found for c in p.countries)
    elif holder is CLUSTER and cluster is not None:
        text, countries = f"the cluster's servers: {cluster.text}", cluster.countries
    elif kind in WORLDWIDE:
        text, countries = WORLDWIDE[kind], ()
    elif holder is not None and holder.country is None:
        text, countries = "—" if not resource.custom else "the Pulumi state", ()
    else:
        text, countries = HOLDER_PLACES.get(package, (UNKNOWN_HOLDER, ()))
    if holder is not None and holder.country:
        countries = (*countries, holder.country)
    return ResourceRow(
        name=resource.name,
        type=resource.type,
        provider=package,
        jurisdiction=holder.jurisdiction if holder else UNKNOWN_HOLDER,
        location=text,
        countries=tuple(sorted(set(countries))),
    )


def _cluster_place(resources: list[Resource]) -> places.Place | None:
    """Where the stack's servers are, the cluster's data with them."""
    found = [
        p
        for r in resources
        if r.type == "hcloud:index/server:Server"
        for p in places.placements(r.type, r.inputs)
    ]
    if not found:
        return None
    texts = sorted({p.text for p in found})
    return places.Place(
        ", ".join(texts), tuple(sorted({c for p in found for c in p.countries}))
    )


def sovereignty_report(
    plan: Plan,
    backend: BackendSetting | None = None,
    project_dir: Path | None = None,
) -> SovereigntyReport:
    """Run every sovereignty rule over `plan` and its state backend.

    `backend` defaults to the one the Pulumi CLI would use, read from the environment
    and the Pulumi.yaml in `project_dir` or above the current folder.
    """
    if backend is None:
        from souverain.stack_files import find_project

        root = find_project(project_dir or Path.cwd()).root
        backend = find_backend(root)
    resources = [as_resource(r) for r in plan.resources]
    cluster = _cluster_place(resources)
    rows = [describe(r, cluster) for r in resources]
    violations = [v for r in resources for v in check_resource(r, plan.stack)]
    violations += check_state_backend(backend)
    reminder = backend_reminder(backend)
    countries = tuple(sorted({c for row in rows for c in row.countries}))
    return SovereigntyReport(
        plan.project,
        plan.stack,
        rows,
        violations,
        describe_backend(backend),
        countries,
        reminders=(reminder,) if reminder else (),
    )
