"""The cold figures: `souverain plan` as a new process, and the SDK imports alone."""

import shutil
import subprocess
import sys
import time
from pathlib import Path

from souverain.plan import Plan


def cold_cli_times(repo: Path, repeats: int) -> tuple[float, list[float]]:
    """Wall times of `souverain plan --stack prod` in `repo` as new processes.

    The first run is returned apart: it may write bytecode and fill the file cache,
    which a user pays once after installing, not on every plan.
    """
    command = [str(Path(sys.executable).with_name("souverain")), "plan", "-s", "prod"]
    if not Path(command[0]).is_file():
        command[0] = shutil.which("souverain") or "souverain"

    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        result = subprocess.run(command, cwd=repo, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}")
    return times[0], times[1:]


# The Python module of each provider package a plan may use.
SDK_MODULES = {
    "hcloud": "pulumi_hcloud",
    "scaleway": "pulumiverse_scaleway",
    "kubernetes": "pulumi_kubernetes.helm.v3",
    "tls": "pulumi_tls",
    "random": "pulumi_random",
    "rancher2": "pulumi_rancher2",
}


def sdk_import_times(plan: Plan, repeats: int) -> tuple[list[str], list[float]]:
    """How long a new process takes to import the SDKs `plan` uses, and nothing else.

    Timed inside the process, from before the first import to after the last, so the
    interpreter's own start-up is not counted.
    """
    # A resource's package is its type's first part: hcloud:index/server:Server.
    packages = {resource.type.split(":", 1)[0] for resource in plan.resources}
    modules = ["pulumi", *sorted(SDK_MODULES[p] for p in packages if p in SDK_MODULES)]
    script = (
        "import time; start = time.perf_counter(); "
        + "; ".join(f"import {module}" for module in modules)
        + "; print(time.perf_counter() - start)"
    )
    times = []
    for _ in range(repeats):
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        times.append(float(result.stdout))
    return modules, times
