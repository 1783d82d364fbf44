"""An SSH key pair for a new stack's servers, when its maker has no key yet.

Hetzner e-mails a root password for a server created without an SSH key, so a stack
always names one. Rather than stop a first `souverain new` on a machine without any
key, it makes one for the stack, as `ssh-keygen -t ed25519` would, under
~/.ssh/souverain-<stack>. An existing key there is reused, never overwritten.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from components.errors import SouverainError


@dataclass(frozen=True)
class StackKey:
    """A key pair for one stack: where it goes, and the lines to write there."""

    path: Path
    """The private key's file; the public one is beside it, with `.pub`."""
    public_line: str
    private_text: bytes | None
    """None when the pair already exists and is only reused."""


def stack_key_path(stack: str) -> Path:
    """Where the key pair of `stack` lives: ~/.ssh/souverain-<stack>."""
    return Path("~/.ssh").expanduser() / f"souverain-{stack}"


def key_for_new_stack(stack: str) -> StackKey:
    """The stack's existing key pair, or a new ed25519 one held in memory."""
    path = stack_key_path(stack)
    public = path.with_name(f"{path.name}.pub")
    if path.exists() or public.exists():
        if not public.is_file():
            raise SouverainError(
                f"{path} exists without its public half {public.name}: pass the "
                "public key of the pair you want with --ssh-key"
            )
        return StackKey(path, public.read_text(encoding="utf-8").strip(), None)

    private = Ed25519PrivateKey.generate()
    public_line = private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    private_text = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    return StackKey(path, f"{public_line.decode()} souverain-{stack}", private_text)


def save_stack_key(key: StackKey) -> None:
    """Write a new pair: the private half readable by its owner only."""
    if key.private_text is None:
        return
    key.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        # O_EXCL: a key that appeared since it was looked for is never replaced.
        handle = os.open(key.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "wb") as file:
            file.write(key.private_text)
        public = key.path.with_name(f"{key.path.name}.pub")
        public.write_text(key.public_line + "\n", encoding="utf-8")
    except OSError as err:
        raise SouverainError(
            f"cannot write the new SSH key {key.path}: {err.strerror or err}; pass "
            "your own public key with --ssh-key"
        ) from err
