"""Which stacks are production, and whether their stateful resources resist deletion.

A production stack's servers, load balancer, network and primary IPs carry Hetzner's
deletion protection, so a mistaken `pulumi destroy`, a replacement or a console click
cannot take them away; the sovereignty policy (souverain/sovereignty_rules.py) holds
production stacks to it. A stack counts as production by its name: `prod`,
`production`, or a name with one of them as a dash-, dot- or underscore-separated word
(`acme-prod`, `prod.eu`). Any stack can switch protection on or off with
`souverain:deletionProtection`.
"""

import re

PRODUCTION_WORDS = frozenset({"prod", "production"})


def is_production_stack(stack: str) -> bool:
    """True when `stack` (a bare name or org/project/name) names a production stack."""
    name = stack.rsplit("/", 1)[-1].lower()
    return any(word in PRODUCTION_WORDS for word in re.split(r"[-_.]", name))


def deletion_protected(setting: bool | None, stack: str) -> bool:
    """The stack's deletion protection: the setting when given, else production's."""
    if setting is not None:
        return setting
    return is_production_stack(stack)


def this_stack_protected(setting: bool | None) -> bool:
    """The running Pulumi program's deletion protection, for its stack's name."""
    import pulumi

    return deletion_protected(setting, pulumi.get_stack())


def hcloud_protection(on: bool, rebuild: bool = False) -> dict[str, bool]:
    """The hcloud inputs that switch deletion (and, for servers, rebuild) protection on.

    Empty when off, rather than False: the provider's default is off, so stacks
    without protection declare exactly what they did before the setting existed.
    Hetzner wants a server's rebuild protection equal to its delete protection.
    """
    if not on:
        return {}
    inputs = {"delete_protection": True}
    if rebuild:
        inputs["rebuild_protection"] = True
    return inputs
