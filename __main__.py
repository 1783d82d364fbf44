"""The souverain Pulumi program: read the stack's settings, then declare the stack."""

import pulumi

from components.config import load_stack_config
from components.errors import SouverainError
from components.stack import declare_stack

try:
    stack_config = load_stack_config()
    declare_stack(stack_config)
except SouverainError as err:
    # RunError ends the program with this message and no Python traceback; the cause
    # stays attached so `souverain plan` can report the error itself.
    raise pulumi.RunError(str(err)) from err
