"""How long the offline plan takes, and what souverain adds over a bare Pulumi program.

Run from the repo root: `python benchmarks/plan.py [--repeats 5]`. It prints a plain
table and the targets beside it (PASS or MISS), and exits 0 whatever the figures: a
benchmark reports, it does not gate. It stops with an error only when its own
comparison would be unfair, that is when souverain and the bare program would not
declare the same cloud resources.

Every in-process figure is the median of several runs of `run_plan` under the same
mock runtime, after one warm-up run so imports are not counted: that is the plan's
wall time the targets judge. The cold figure runs `souverain plan --stack prod` as a
new process, and beside it the time a new process takes just to import the Pulumi SDKs
that stack uses: the floor a cold start cannot go under, whatever souverain does.

The bare program lives beside this file: `bare_program.py` (servers, network, load
balancer), `bare_services.py` (buckets, bunny.net, Scaleway), `bare_cluster.py` (k3s
secrets, admin access, add-ons) and `bare_apps.py` (the self-hosted tools).
"""

import argparse
import gc
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from bare_program import plan_bare
from cold_start import cold_cli_times, sdk_import_times

from souverain.plan import Plan, plan_stack

REPO = Path(__file__).resolve().parent.parent
NAMESPACE = "souverain:"
GENERATED_WORKERS = (10, 100, 1000)
# 1,000 workers take seconds per run; fewer repeats keep the whole run to minutes.
LARGE_WORKERS = 1000

PROD_TARGET_S = 2.0
OVERHEAD_TARGET = 1.3
# Per-resource time counts as flat when 1,000 workers cost at most 20% more per
# resource than 100: less would flag the run-to-run noise of a shared 2-core machine.
FLAT_TARGET = 1.2


def stack_settings(stack_file: Path) -> dict[str, Any]:
    """The `souverain:` settings of a stack file, keys without the namespace."""
    config = yaml.safe_load(stack_file.read_text())["config"]
    return {key.removeprefix(NAMESPACE): value for key, value in config.items()}


def write_generated_project(root: Path, workers: list[int]) -> list[str]:
    """A copy of the project in `root` with one stack per worker count; their names.

    Each stack is prod with the workers pool's count changed, so the plan reads a
    stack file and runs `__main__.py` exactly as `souverain plan` does. The workers
    also get `ingress: false`: the config check caps the servers one load balancer
    serves (25 for lb11, 150 for lb31), and sending web traffic to the control plane
    keeps every size valid with one shape, which the per-resource comparison needs.
    The network is a /12, since a pool's fixed private addresses in a /16 end at 510
    servers.
    """
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copy(REPO / "__main__.py", root / "__main__.py")
    (root / "stacks").mkdir()

    prod = yaml.safe_load((REPO / "stacks" / "Pulumi.prod.yaml").read_text())
    names = []
    for count in workers:
        workers = prod["config"][f"{NAMESPACE}nodePools"]["workers"]
        workers.update(count=count, ingress=False)
        prod["config"][f"{NAMESPACE}networkCidr"] = "10.0.0.0/12"
        name = f"workers-{count}"
        (root / "stacks" / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(prod))
        names.append(name)
    return names


def hcloud_resources(plan: Plan) -> dict[tuple[str, str], tuple[Any, int]]:
    """Each hcloud resource by type and name, with its inputs and dependency count.

    Dependencies are counted, not compared: their URNs differ by the parent chain.
    """
    return {
        (r.type, r.name): (r.inputs, len(r.dependencies))
        for r in plan.resources
        if r.custom
    }


def check_same_resources(stack: str, souverain: Plan, bare: Plan, servers: int) -> int:
    """Fail unless both plans declare the same cloud resources; return their number.

    Same types, names, inputs and dependency counts, so the mock runtime does the
    same work for each; a ratio between programs that declare different things
    would mean nothing, so a mismatch stops the benchmark instead of printing one.
    """
    ours, theirs = hcloud_resources(souverain), hcloud_resources(bare)
    if len(ours) != len(theirs):
        raise AssertionError(
            f"{stack}: souverain declares {len(ours)} cloud resources, the bare "
            f"program {len(theirs)}: update the bare program (benchmarks/bare_*.py) "
            "to match the components"
        )
    differing = [key for key in sorted(ours) if ours[key] != theirs.get(key)]
    if differing:
        raise AssertionError(
            f"{stack}: the bare program declares these differently (type, name): "
            f"{differing[:3]}: update the bare program (benchmarks/bare_*.py) to "
            "match the components"
        )

    declared = sum(1 for kind, _ in ours if kind == "hcloud:index/server:Server")
    if declared != servers:
        raise AssertionError(f"{stack}: expected {servers} servers, planned {declared}")
    return len(ours)


def timed(run: Callable[[], Plan]) -> tuple[float, Plan]:
    """Wall time of one plan, from a collected heap, with the collector off.

    `run_plan` turns the collector off while the program runs and back on at the end,
    so the first allocation after it collects the whole run's garbage, about a second
    for 1,000 workers. souverain's `plan_stack` allocates once more after `run_plan`
    and so paid that inside its timing, while the bare program's first allocation came
    after the clock stopped. With the collector off for the whole timing, neither pays
    it; collecting inside the timing instead would add the same constant walk of the
    long-lived heap to both sides and flatter the ratio.
    """
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        plan = run()
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    return elapsed, plan


def measure(
    stack: str,
    souverain: Callable[[], Plan],
    bare: Callable[[], Plan],
    servers: int,
    repeats: int,
) -> dict[str, Any]:
    """Median times of both programs for one stack, runs interleaved.

    Interleaving spreads any slow spell of the machine over both programs instead of
    charging it to one.
    """
    ours, theirs = [], []
    for _ in range(repeats):
        elapsed, souverain_plan = timed(souverain)
        ours.append(elapsed)
        elapsed, bare_plan = timed(bare)
        theirs.append(elapsed)

    hcloud_count = check_same_resources(stack, souverain_plan, bare_plan, servers)
    return {
        "stack": stack,
        "servers": servers,
        "hcloud": hcloud_count,
        "souverain_s": statistics.median(ours),
        "bare_s": statistics.median(theirs),
        "repeats": repeats,
    }


def verdict(passed: bool) -> str:
    """The word a target line ends with."""
    return "PASS" if passed else "MISS"


def print_table(rows: list[dict[str, Any]]) -> None:
    """The in-process figures, one line per stack."""
    header = (
        f"{'stack':<14}{'servers':>8}{'hcloud':>8}{'souverain s':>13}{'bare s':>9}"
        f"{'ratio':>7}{'souv ms/res':>13}{'bare ms/res':>13}{'repeats':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['stack']:<14}{row['servers']:>8}{row['hcloud']:>8}"
            f"{row['souverain_s']:>13.3f}{row['bare_s']:>9.3f}"
            f"{row['souverain_s'] / row['bare_s']:>7.2f}"
            f"{1000 * row['souverain_s'] / row['hcloud']:>13.2f}"
            f"{1000 * row['bare_s'] / row['hcloud']:>13.2f}{row['repeats']:>9}"
        )


def added_cost(fewer: dict[str, Any], more: dict[str, Any], key: str) -> float:
    """Seconds per resource that `more` declares beyond `fewer`."""
    return (more[key] - fewer[key]) / (more["hcloud"] - fewer["hcloud"])


def print_targets(rows: list[dict[str, Any]]) -> None:
    """Each target, the figure it is judged on, and PASS or MISS."""
    by_stack = {row["stack"]: row for row in rows}
    small, large = by_stack["workers-100"], by_stack[f"workers-{LARGE_WORKERS}"]

    def per_resource(row: dict[str, Any], key: str) -> float:
        return row[key] / row["hcloud"]

    flat = per_resource(large, "souverain_s") / per_resource(small, "souverain_s")
    flat_bare = per_resource(large, "bare_s") / per_resource(small, "bare_s")
    # The average above mixes prod's fixed ~170 resources (Helm releases, manifests,
    # secrets) with the workers' servers, which cost more each: it drifts up as the
    # servers' share grows even when every added server costs the same. The time each
    # added resource costs, 100 -> 1,000 workers against 10 -> 100, has no such mix.
    tiny = by_stack["workers-10"]
    added_large = added_cost(small, large, "souverain_s")
    added_small = added_cost(tiny, small, "souverain_s")
    added = added_large / added_small
    added_bare = added_cost(small, large, "bare_s") / added_cost(tiny, small, "bare_s")
    worst = max(rows, key=lambda row: row["souverain_s"] / row["bare_s"])
    worst_ratio = worst["souverain_s"] / worst["bare_s"]
    prod_in_process = by_stack["prod"]["souverain_s"]

    lines = [
        (
            f"prod plan under {PROD_TARGET_S:g} s (the plan's wall time)",
            f"{prod_in_process:.3f} s",
            prod_in_process < PROD_TARGET_S,
        ),
        (
            f"per-resource time flat, 1,000 vs 100 workers (<= {FLAT_TARGET:.2f}x)",
            f"{flat:.2f}x (bare Pulumi {flat_bare:.2f}x)",
            flat <= FLAT_TARGET,
        ),
        (
            f"time per added resource flat, as above (<= {FLAT_TARGET:.2f}x)",
            f"{added:.2f}x: {1000 * added_small:.2f} -> {1000 * added_large:.2f} ms "
            f"(bare {added_bare:.2f}x)",
            added <= FLAT_TARGET,
        ),
        (
            f"overhead souverain/bare under {OVERHEAD_TARGET:g} at every size",
            f"worst {worst_ratio:.2f} ({worst['stack']})",
            worst_ratio < OVERHEAD_TARGET,
        ),
    ]
    print("targets")
    for target, figure, passed in lines:
        print(f"  {target:<56}{figure:<36}{verdict(passed)}")


def print_header(repeats: int, large_repeats: int) -> None:
    """What was measured, with what, and how busy the machine was."""
    print(
        f"offline plan benchmark: python {platform.python_version()}, "
        f"pulumi {metadata.version('pulumi')}, "
        f"pulumi-hcloud {metadata.version('pulumi-hcloud')}, {os.cpu_count()} CPUs"
    )
    print(
        f"in-process wall time (time.perf_counter), median of {repeats} runs after "
        f"one warm-up; {large_repeats} runs for {LARGE_WORKERS:,} workers, which "
        "take seconds each"
    )
    print(
        "souverain = `plan_stack` (reads the stack file, runs __main__.py); bare = "
        "the same cloud resources as plain Pulumi, same `run_plan`"
    )
    print(
        "hcloud = cloud resources of every provider (hcloud, s3, bunny, Scaleway, "
        "Kubernetes, tls, random); ms/res = milliseconds per such resource; "
        "ratio = souverain / bare"
    )
    print(f"load average at start: {load_average()}")
    print()


def load_average() -> str:
    """The 1-minute load, flagged when other work shared the CPUs with the runs."""
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        return f"{load:.2f} (above the CPU count: other work skews the figures)"
    return f"{load:.2f}"


def measure_stacks(repeats: int, large_repeats: int) -> list[dict[str, Any]]:
    """One row of figures for each reference stack, then each generated one."""
    rows = []
    for stack in ("dev", "prod"):
        settings = stack_settings(REPO / "stacks" / f"Pulumi.{stack}.yaml")
        servers = sum(pool["count"] for pool in settings["nodePools"].values())
        rows.append(
            measure(
                stack,
                lambda stack=stack: plan_stack(stack, REPO),
                lambda settings=settings, stack=stack: plan_bare(settings, stack),
                servers,
                repeats,
            )
        )

    with tempfile.TemporaryDirectory(prefix="souverain-bench-") as folder:
        root = Path(folder)
        names = write_generated_project(root, list(GENERATED_WORKERS))
        for count, stack in zip(GENERATED_WORKERS, names, strict=True):
            settings = stack_settings(root / "stacks" / f"Pulumi.{stack}.yaml")
            servers = sum(pool["count"] for pool in settings["nodePools"].values())
            rows.append(
                measure(
                    stack,
                    lambda stack=stack: plan_stack(stack, root),
                    lambda settings=settings, stack=stack: plan_bare(settings, stack),
                    servers,
                    large_repeats if count >= LARGE_WORKERS else repeats,
                )
            )
    return rows


def main() -> None:
    """Measure every stack, print the table and the targets, and exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=5, help="runs per figure (median; default 5)"
    )
    parser.add_argument(
        "--large-repeats",
        type=int,
        default=3,
        help=f"runs for the {LARGE_WORKERS:,}-worker stack (default 3)",
    )
    args = parser.parse_args()
    repeats = max(1, args.repeats)
    large_repeats = max(1, min(repeats, args.large_repeats))
    print_header(repeats, large_repeats)

    # Imports and first-call caches (catalogue, pydantic schemas) are paid here once,
    # so the repeats measure planning alone.
    plan_stack("prod", REPO)
    plan_bare(stack_settings(REPO / "stacks" / "Pulumi.prod.yaml"), "prod")
    rows = measure_stacks(repeats, large_repeats)

    first_s, cold = cold_cli_times(REPO, repeats)
    cold_s = statistics.median(cold)
    sdks, imports = sdk_import_times(plan_stack("prod", REPO), repeats)

    print_table(rows)
    print()
    print(
        f"cold `souverain plan --stack prod` (new process: start-up, imports, plan, "
        f"render): median {cold_s:.2f} s of {len(cold)} runs "
        f"(min {min(cold):.2f}, max {max(cold):.2f}); a first run, not counted, "
        f"took {first_s:.2f} s"
    )
    print(
        f"of which importing the SDKs alone ({', '.join(sdks)}) takes "
        f"{statistics.median(imports):.2f} s in a new process (median of "
        f"{len(imports)})"
    )
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print(
            "PYTHONDONTWRITEBYTECODE is set: modules without a cached .pyc "
            "(souverain's own) are compiled again on every start"
        )
    print(f"load average at end: {load_average()}")
    print()
    print_targets(rows)


if __name__ == "__main__":
    main()
