"""The sovereignty rules as Pulumi policies, for `pulumi preview --policy-pack policy`.

`policy/__main__.py` serves `sovereignty_policies()` through pulumi-policy. Each
resource policy adapts what the engine hands it (`ResourceValidationArgs`) to the
`Resource` the rules take and calls the very function `souverain plan` calls, so the
pack and the offline plan cannot disagree. The state backend is checked once per
stack, with the URL the Pulumi CLI running the pack would use.
"""

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
    StackValidationArgs,
    StackValidationPolicy,
    proxy,
)
from pulumi_policy import policy as policy_sdk

from souverain.jurisdictions import PROVIDER_PREFIX
from souverain.plan import UNKNOWN
from souverain.sovereignty_rules import RESOURCE_RULES, Resource, check_rule
from souverain.state_backend import (
    RULE,
    RULE_DESCRIPTION,
    check_state_backend,
    find_backend,
)

PACK_NAME = "souverain-sovereignty"
# The engine's markers for values a preview cannot know yet.
UNKNOWN_MARKERS = frozenset(
    {
        proxy.UNKNOWN_BOOLEAN_VALUE,
        proxy.UNKNOWN_NUMBER_VALUE,
        proxy.UNKNOWN_STRING_VALUE,
        proxy.UNKNOWN_ARRAY_VALUE,
        proxy.UNKNOWN_ASSET_VALUE,
        proxy.UNKNOWN_ARCHIVE_VALUE,
        proxy.UNKNOWN_OBJECT_VALUE,
    }
)
# The stack being previewed, as the engine's ConfigureStack request names it.
_CONFIGURED = {"stack": ""}


def plain(value):
    """A property as the rules read it: plain dicts and lists, unknowns as UNKNOWN.

    pulumi-policy wraps properties in proxies that raise on an unknown value; the
    rules would rather see it, and refuse it, than skip the resource.
    """
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_MARKERS else value
    if isinstance(value, Mapping):
        return {key: _read(value, key) for key in value}
    if isinstance(value, Sequence):
        return [_read(value, index) for index in range(len(value))]
    return value


def _read(container, key):
    try:
        return plain(container[key])
    except proxy.UnknownValueError:
        return UNKNOWN


def as_resource(args: ResourceValidationArgs) -> Resource:
    """What the engine hands a policy, as the rules take it.

    The engine gives every custom resource a provider and no component one;
    provider resources are custom and have none.
    """
    custom = args.provider is not None or args.resource_type.startswith(PROVIDER_PREFIX)
    return Resource(args.resource_type, args.name, plain(args.props), custom)


def current_stack() -> str:
    """The previewed stack's name: from the environment, else from the engine."""
    return os.environ.get("PULUMI_STACK") or _CONFIGURED["stack"]


def remember_configured_stack() -> None:
    """Keep the stack name the engine sends the pack in its ConfigureStack request.

    The Pulumi CLI runs a Python pack through its language host without
    PULUMI_STACK in the environment, and pulumi-policy 1.21 keeps only the tags of
    that request (pulumi_policy/policy.py, ConfigureStack), so the production rule
    would not know the stack. This wraps the servicer's method to keep the name too.
    """
    servicer = policy_sdk._PolicyAnalyzerServicer
    original = servicer.ConfigureStack
    if getattr(original, "keeps_stack", False):
        return

    def configure_stack(self, request, context):
        _CONFIGURED["stack"] = request.stack
        return original(self, request, context)

    configure_stack.keeps_stack = True
    servicer.ConfigureStack = configure_stack


def resource_policy(rule_id: str) -> ResourceValidationPolicy:
    """One resource rule of `sovereignty_rules.py` as a mandatory policy."""
    description = RESOURCE_RULES[rule_id][1]

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        for violation in check_rule(rule_id, as_resource(args), current_stack()):
            report(str(violation))

    return ResourceValidationPolicy(
        name=rule_id,
        description=description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def state_backend_policy(project_root: Path | None) -> StackValidationPolicy:
    """The state-backend rule, over the backend the CLI would use for the project."""

    def validate(_args: StackValidationArgs, report: ReportViolation) -> None:
        for violation in check_state_backend(find_backend(project_root)):
            report(str(violation))

    return StackValidationPolicy(
        name=RULE,
        description=RULE_DESCRIPTION,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def find_project_root(*starts: Path) -> Path | None:
    """The first folder holding a Pulumi.yaml, searching up from each start."""
    for start in starts:
        for folder in [start, *start.resolve().parents]:
            if (folder / "Pulumi.yaml").is_file():
                return folder
    return None


def sovereignty_policies(project_root: Path | None) -> list:
    """Every sovereignty rule as a policy, in the order `souverain plan` runs them."""
    return [resource_policy(rule_id) for rule_id in RESOURCE_RULES] + [
        state_backend_policy(project_root)
    ]
