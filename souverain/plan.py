"""The offline plan: run the real Pulumi program in-process against a recording monitor.

Pulumi's mock runtime stands in for the engine. Nothing is created and no provider
plugin runs; the monitor records each resource registration exactly as the program
makes it. The runtime runs in preview mode, so every value only a deployment could
tell (ids, addresses) stays unknown instead of being invented.
"""

import contextvars
import dataclasses
import gc
import runpy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.output import Unknown
from pulumi.runtime import mocks, rpc
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.config import NAMESPACE, missing_secret_settings
from components.errors import SouverainError
from souverain.stack_files import SECRET_PLACEHOLDER, find_project, read_stack_config

UNKNOWN = "(known after apply)"
STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class PlannedResource:
    """One resource the program declared, with its inputs as a plan shows them."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    dependencies: tuple[str, ...]
    ignore_changes: tuple[str, ...] = ()
    """Input paths the program tells the engine to leave as they are (ignoreChanges)."""
    replace_on_changes: tuple[str, ...] = ()
    """Input paths whose change the program says must replace the resource."""
    property_dependencies: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(input, the URNs its value comes from), for the inputs that depend on any."""

    @property
    def provider(self) -> str:
        """What manages it: hcloud, s3 (a dynamic provider), souverain (components)."""
        package, _, rest = self.type.partition(":")
        if package == "pulumi-python":
            # Dynamic resources are typed pulumi-python:dynamic/<module>:<Name>.
            return rest.split(":", 1)[0].removeprefix("dynamic/")
        return package

    def as_json(self) -> dict[str, Any]:
        """The resource as the plan's JSON document lists it.

        The two change options appear only where set, so most resources read as
        before they were recorded.
        """
        document = {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "inputs": self.inputs,
            "dependencies": list(self.dependencies),
        }
        if self.ignore_changes:
            document["ignore_changes"] = list(self.ignore_changes)
        if self.replace_on_changes:
            document["replace_on_changes"] = list(self.replace_on_changes)
        if self.property_dependencies:
            document["property_dependencies"] = {
                key: list(urns) for key, urns in self.property_dependencies
            }
        return document


@dataclass(frozen=True)
class Plan:
    """Every resource a stack declares, in URN order so output is reproducible."""

    project: str
    stack: str
    resources: list[PlannedResource]
    warnings: tuple[str, ...] = ()
    """What the user must still do before `pulumi up`, e.g. set a credential."""

    def counts(self) -> dict[str, int]:
        """How many resources each provider would create (components included)."""
        counts: dict[str, int] = {}
        for resource in self.resources:
            counts[resource.provider] = counts.get(resource.provider, 0) + 1
        return dict(sorted(counts.items()))

    def of_type(self, type_token: str) -> list[PlannedResource]:
        """The resources of one type, e.g. hcloud:index/server:Server."""
        return [r for r in self.resources if r.type == type_token]

    def as_json(self) -> dict[str, Any]:
        """The plan as a JSON-ready document."""
        return {
            "project": self.project,
            "stack": self.stack,
            "summary": {"total": len(self.resources), "by_provider": self.counts()},
            "resources": [r.as_json() for r in self.resources],
        }


def _shown(value: Any) -> Any:
    """An input as the plan shows it: secrets hidden, unknowns named, keys sorted."""
    if rpc.is_rpc_secret(value):
        return SECRET_PLACEHOLDER
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_shown(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf carries every number as a double
    return value


class _Mocks(pulumi.runtime.Mocks):
    """Answers like a preview: outputs echo inputs, ids stay unknown."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        return "", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        raise SouverainError(
            f"the program calls the function {args.token}, which an offline plan "
            "cannot answer: plan with `pulumi preview` instead"
        )


class _RecordingMonitor(mocks.MockMonitor):
    """A mock monitor that keeps each registration's parent, inputs and dependencies."""

    def __init__(self, answers: pulumi.runtime.Mocks | None = None) -> None:
        super().__init__(answers or _Mocks())
        self.recorded: list[PlannedResource] = []

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != STACK_TYPE:
            inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
            self.recorded.append(
                PlannedResource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent or None,
                    custom=bool(request.custom),
                    inputs=_shown(inputs),
                    dependencies=tuple(sorted(set(request.dependencies))),
                    ignore_changes=tuple(request.ignoreChanges),
                    replace_on_changes=tuple(request.replaceOnChanges),
                    property_dependencies=tuple(
                        (key, tuple(sorted(set(deps.urns))))
                        for key, deps in sorted(request.propertyDependencies.items())
                        if deps.urns
                    ),
                )
            )
        return response


def run_plan(
    program: Callable[[], None],
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: set[str],
    answers: pulumi.runtime.Mocks | None = None,
) -> Plan:
    """Run `program` under the recording monitor and return what it declared.

    `answers` replaces the preview's mocks (outputs echo inputs, ids unknown) with a
    test's own, e.g. to see what a resource does with a provider's outputs. Runs in a
    fresh context, so global Pulumi settings never leak between plans.
    """

    def run() -> Plan:
        set_all_config(config, sorted(secret_keys))
        monitor = _RecordingMonitor(answers)
        mocks.set_mocks(
            monitor.mocks,
            project=project,
            stack=stack,
            preview=answers is None,
            monitor=monitor,
        )
        _sync_await(run_pulumi_func(program))
        resources = sorted(monitor.recorded, key=lambda r: r.urn)
        return Plan(project, stack, resources)

    # Pulumi's runtime keeps every Output and task of the program alive until the end,
    # and each full garbage collection walks them all: with the collector on, a
    # 1,000-server plan spends half its time collecting nothing (benchmarks/plan.py).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return contextvars.Context().run(run)
    finally:
        if collecting:
            gc.enable()


def _check_same_checkout(root: Path) -> None:
    """Refuse to mix one checkout's program with another checkout's components.

    The program imports `components` from wherever souverain is installed; planning
    another checkout that has its own would silently run its __main__.py with ours.
    A project without a components/ folder uses the installed ones, as intended.
    """
    import components

    installed = Path(components.__file__).resolve().parent.parent
    has_own = (root / "components" / "__init__.py").is_file()
    if has_own and installed != root.resolve():
        raise SouverainError(
            f"this souverain is installed from {installed}, not {root}: install the "
            f"checkout you want to plan (`pip install -e {root}`) and run its "
            "souverain"
        )


def plan_stack(stack: str, project_dir: Path | None = None) -> Plan:
    """Plan the stack `stack` of the souverain project in `project_dir` (or above cwd).

    Raises SouverainError (ConfigError for bad settings) for anything the user can fix.
    """
    project = find_project(project_dir or Path.cwd())
    _check_same_checkout(project.root)
    config, secret_keys = read_stack_config(project, stack)
    warnings = _stand_in_missing_credentials(config, secret_keys, stack)
    main = project.root / "__main__.py"

    def program() -> None:
        try:
            runpy.run_path(str(main), run_name="__main__")
        except pulumi.RunError as err:
            if isinstance(err.__cause__, SouverainError):
                raise err.__cause__ from None
            raise SouverainError(str(err)) from None

    plan = run_plan(program, project.name, stack, config, secret_keys)
    return dataclasses.replace(plan, warnings=tuple(warnings))


def _stand_in_missing_credentials(
    config: dict[str, str], secret_keys: set[str], stack: str
) -> list[str]:
    """Put placeholders where credentials are still missing, and say so.

    An offline plan is most useful before any account exists, so a missing credential
    does not stop it; `pulumi up` still refuses to run without one.
    """
    prefix = f"{NAMESPACE}:"
    raw = {k.removeprefix(prefix): v for k, v in config.items() if k.startswith(prefix)}
    warnings = []
    for switch, key in missing_secret_settings(raw):
        config[prefix + key] = SECRET_PLACEHOLDER
        secret_keys.add(prefix + key)
        warnings.append(
            f"{key} is not set, so the plan stands in a placeholder; before `pulumi "
            f"up`, run `pulumi config set --secret {prefix}{key} <value> --stack "
            f"{stack}` ({switch} needs it)"
        )
    return warnings
