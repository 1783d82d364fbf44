"""souverain's sovereignty policy pack: the rules `souverain plan` runs, for previews.

Run it with `pulumi preview --policy-pack policy` from the project folder. Every
policy is mandatory, so a broken rule stops `pulumi up` (docs/sovereignty.md).
"""

from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

from souverain.sovereignty_pack import (
    PACK_NAME,
    find_project_root,
    remember_configured_stack,
    sovereignty_policies,
)

remember_configured_stack()
PolicyPack(
    name=PACK_NAME,
    policies=sovereignty_policies(find_project_root(Path.cwd(), Path(__file__).parent)),
    enforcement_level=EnforcementLevel.MANDATORY,
)
