"""The option names k3s accepts, so a misspelt option fails here, not on a new node.

k3s skips a config file key it does not know with a mere warning in its journal
("Unknown flag … found in config.yaml, skipping", pkg/configfilearg/parser.go), so a
misspelt option silently does nothing on a server nobody is logged in to. Every key
souverain writes is checked against `k3s_flags.json`, the option names of the pinned
release.
"""

import difflib
import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from components.errors import CloudInitError

Command = Literal["server", "agent"]


@dataclass(frozen=True)
class K3sFlags:
    """The long option names of one k3s release, per command."""

    version: str
    """The k3s release the names were compiled for, e.g. v1.35.5+k3s1."""
    server: frozenset[str]
    """Options of `k3s server` (which also runs an agent)."""
    agent: frozenset[str]
    """Options of `k3s agent`."""

    def check(self, command: Command, options: list[str]) -> None:
        """Raise CloudInitError naming the first option `command` does not accept."""
        known = self.server if command == "server" else self.agent
        for option in options:
            if option in known:
                continue
            close = difflib.get_close_matches(option, sorted(known), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "remove it"
            raise CloudInitError(
                f"k3s option '{option}' is not an option of `k3s {command}` "
                f"{self.version}: {hint} (the names are in "
                "components/kubernetes/k3s_flags.json)"
            )


@functools.cache
def load_flags() -> K3sFlags:
    """The option names of the k3s release souverain pins."""
    text = (
        resources.files("components.kubernetes")
        .joinpath("k3s_flags.json")
        .read_text(encoding="utf-8")
    )
    data = json.loads(text)
    return K3sFlags(
        version=data["k3s_version"],
        server=frozenset(data["server"]),
        agent=frozenset(data["agent"]),
    )
