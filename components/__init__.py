"""What a souverain stack deploys, one subpackage per provider.

`components.config` reads and checks the stack's configuration; `components.stack`
declares every resource from it. Nothing here talks to a cloud API directly: the
Pulumi engine and its providers do.
"""
