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
"""

import argparse
import gc
import hashlib
import ipaddress
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pulumi
import pulumi_hcloud as hcloud
import pulumi_random as random
import pulumi_tls as tls
import pulumiverse_scaleway as scaleway
import yaml

from components.bunny.dns import DnsRecord, DnsZone
from components.bunny.pull_zone import PullZone
from components.bunny.storage_zone import StorageZone
from components.hetzner.bucket import S3Bucket
from components.hetzner.bucket_provider import BucketProvider
from souverain.plan import Plan, plan_stack, run_plan

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


def bare_program(settings: dict[str, Any]) -> Callable[[], None]:
    """The same cloud resources as souverain declares, written as plain Pulumi.

    No component, no config check and no layout helper: the raw stack settings go
    straight into resource arguments. Inputs, dependencies and exports match what
    souverain sends, so the mock runtime does the same work per resource and the
    difference is what souverain's own code costs.
    """
    startup = settings["startupName"]
    network_cidr = settings.get("networkCidr", "10.0.0.0/16")
    location = settings.get("location", "fsn1")
    image = settings.get("image", "ubuntu-24.04")
    ssh_cidrs = settings.get("allowedSshCidrs", [])
    pools = sorted(settings["nodePools"].items())
    roles = sorted({pool["role"] for _, pool in pools})

    # The same choice as StackConfig.ingress_pools, so labels and selector match.
    ingress_pools = []
    for pool_name, pool in pools:
        wants = pool.get("ingress")
        if wants is None:
            wants = pool["role"] == "worker"
        if wants and pool["count"] > 0:
            ingress_pools.append(pool_name)
    if not ingress_pools:
        ingress_pools = [
            name for name, pool in pools if pool["role"] == "control-plane"
        ]

    cluster = settings.get("enableCluster", False)
    addresses = {
        name: address
        for pool_name, pool in pools
        for name, address in bare_private_ips(
            network_cidr, pool_name, f"{startup}-{pool_name}", pool["count"]
        ).items()
    }
    control_plane = [
        f"{startup}-{pool_name}-{number}"
        for pool_name, pool in pools
        if pool["role"] == "control-plane"
        for number in range(1, pool["count"] + 1)
    ]

    def program() -> None:
        labels = {"souverain.eu/startup": startup}
        buckets = None
        if settings.get("enableBuckets"):
            buckets = declare_bare_buckets(settings, startup, location)
        if cluster:
            backups = buckets["backups"].bucket if buckets is not None else None
            user_data, primary_ids, admin_inputs = declare_bare_cluster(
                startup, location, control_plane, sorted(addresses), backups
            )
        network = hcloud.Network(
            f"{startup}-network",
            name=f"{startup}-network",
            ip_range=network_cidr,
            labels=labels,
        )
        network_id = network.id.apply(int)
        subnet = hcloud.NetworkSubnet(
            f"{startup}-nodes-subnet",
            network_id=network_id,
            type="cloud",
            network_zone="eu-central",
            ip_range=str(next(ipaddress.ip_network(network_cidr).subnets())),
        )

        ssh_key_ids = []
        for key_name, public_key in sorted(settings["sshPublicKeys"].items()):
            digest = hashlib.sha256(public_key.split()[1].encode()).hexdigest()[:12]
            key = hcloud.SshKey(
                f"{startup}-ssh-{key_name}",
                name=f"{startup}-{key_name}",
                public_key=public_key,
                labels={**labels, "fingerprint": digest},
            )
            ssh_key_ids.append(key.id)

        firewall_ids = {}
        for role in roles:
            rules = []
            if ssh_cidrs:
                rules.append(
                    hcloud.FirewallRuleArgs(
                        direction="in",
                        description="ssh",
                        protocol="tcp",
                        port="22",
                        source_ips=ssh_cidrs,
                    )
                )
            if role == "control-plane":
                rules.append(
                    hcloud.FirewallRuleArgs(
                        direction="in",
                        description="kubernetes-api",
                        protocol="tcp",
                        port="6443",
                        source_ips=settings["allowedKubeApiCidrs"],
                    )
                )
            firewall = hcloud.Firewall(
                f"{startup}-{role}-firewall",
                name=f"{startup}-{role}",
                labels=labels,
                rules=rules,
            )
            firewall_ids[role] = firewall.id.apply(int)

        server_names = {}
        for pool_name, pool in pools:
            base = f"{startup}-{pool_name}"
            pool_labels = {
                **pool.get("labels", {}),
                **labels,
                "souverain.eu/pool": pool_name,
                "souverain.eu/role": pool["role"],
                "souverain.eu/ingress": str(pool_name in ingress_pools).lower(),
            }
            group_ids = [
                hcloud.PlacementGroup(
                    f"{base}-spread-{number}",
                    name=f"{base}-spread-{number}",
                    type="spread",
                    labels=pool_labels,
                ).id.apply(int)
                for number in range(1, math.ceil(pool["count"] / 10) + 1)
            ]
            server_names[pool_name] = []
            for number in range(1, pool["count"] + 1):
                name = f"{base}-{number}"
                hcloud.Server(
                    name,
                    name=name,
                    server_type=pool["serverType"],
                    location=location,
                    image=image,
                    labels=pool_labels,
                    ssh_keys=ssh_key_ids,
                    firewall_ids=[firewall_ids[pool["role"]]],
                    placement_group_id=group_ids[(number - 1) // 10],
                    networks=[
                        hcloud.ServerNetworkArgs(
                            network_id=network_id,
                            ip=addresses[name] if cluster else None,
                            alias_ips=[],
                        )
                    ],
                    public_nets=[
                        hcloud.ServerPublicNetArgs(
                            ipv4_enabled=pool.get("publicIpv4", True),
                            ipv4=primary_ids.get(name) if cluster else None,
                            ipv6_enabled=True,
                        )
                    ],
                    user_data=user_data[name] if cluster else None,
                    # Options are not in the plan, so the check cannot compare them;
                    # they are set as the NodePool sets them, for the same requests.
                    opts=pulumi.ResourceOptions(
                        depends_on=[subnet],
                        ignore_changes=["sshKeys", "userData"],
                        delete_before_replace=True,
                    ),
                )
                server_names[pool_name].append(name)

        balancer = hcloud.LoadBalancer(
            f"{startup}-lb",
            name=f"{startup}-lb",
            load_balancer_type=settings.get("loadBalancerType", "lb11"),
            location=location,
            labels=labels,
            algorithm=hcloud.LoadBalancerAlgorithmArgs(type="round_robin"),
        )
        balancer_id = balancer.id.apply(int)
        attachment = hcloud.LoadBalancerNetwork(
            f"{startup}-lb-network",
            load_balancer_id=balancer_id,
            network_id=network_id,
            enable_public_interface=True,
            opts=pulumi.ResourceOptions(depends_on=[subnet]),
        )
        hcloud.LoadBalancerTarget(
            f"{startup}-lb-targets",
            load_balancer_id=balancer_id,
            type="label_selector",
            label_selector=f"souverain.eu/startup={startup},souverain.eu/ingress=true",
            use_private_ip=True,
            opts=pulumi.ResourceOptions(depends_on=[attachment]),
        )
        for port in (80, 443):
            hcloud.LoadBalancerService(
                f"{startup}-lb-tcp-{port}",
                load_balancer_id=balancer.id,
                protocol="tcp",
                listen_port=port,
                destination_port=port,
                proxyprotocol=True,
                health_check=hcloud.LoadBalancerServiceHealthCheckArgs(
                    protocol="tcp", port=port, interval=15, timeout=10, retries=3
                ),
            )

        if cluster:
            declare_bare_admin(startup, *admin_inputs)
        assets = buckets["assets"] if buckets is not None else None
        zone = None
        if settings.get("enableBunny"):
            zone = declare_bare_edge(settings, startup, balancer, assets)
        if settings.get("enableRegistry") or settings.get("enableEmail"):
            declare_bare_scaleway(settings, startup, zone)

        pulumi.export("loadBalancerIpv4", balancer.ipv4)
        pulumi.export("loadBalancerIpv6", balancer.ipv6)
        pulumi.export("servers", server_names)

    return program


def declare_bare_buckets(settings: dict[str, Any], startup: str, location: str) -> Any:
    """The two buckets as raw dynamic resources, inputs as souverain sends them."""
    # The offline plan stands in "[secret]" for keys a stack file does not hold.
    common = {
        "location": location,
        "endpoint": f"https://{location}.your-objectstorage.com",
        "access_key": pulumi.Output.secret("[secret]"),
        "secret_key": pulumi.Output.secret("[secret]"),
        "public_read": False,
        "force_destroy": False,
        "domain": None,
    }
    domain = settings["domain"]
    buckets = {
        "assets": {
            "versioning": False,
            "lifecycle_rules": [],
            "cors_rules": [
                {
                    "allowed_origins": [f"https://{domain}", f"https://www.{domain}"],
                    "allowed_methods": ["GET", "HEAD"],
                    "allowed_headers": [],
                    "max_age_seconds": 3600,
                }
            ],
        },
        "backups": {
            "versioning": True,
            "lifecycle_rules": [
                {
                    "id": "expire-replaced-versions",
                    "prefix": "",
                    "noncurrent_days": settings.get("backupRetentionDays", 30),
                }
            ],
            "cors_rules": [],
        },
    }
    declared = {
        role: S3Bucket(
            BucketProvider(),
            f"{startup}-{role}-bucket",
            {"bucket": f"{startup}-{role}", **common, **settings_of_bucket},
            pulumi.ResourceOptions(
                additional_secret_outputs=["access_key", "secret_key"]
            ),
        )
        for role, settings_of_bucket in buckets.items()
    }
    return declared


def bare_private_ips(
    network_cidr: str, pool_name: str, base: str, count: int
) -> dict[str, str]:
    """Each server's fixed private address, worked out as components/hetzner/layout
    does: 64 blocks in the network's first half, a pool's by its name's hash."""
    subnet = next(ipaddress.ip_network(network_cidr).subnets())
    size = subnet.num_addresses // 64
    digest = hashlib.sha256(pool_name.encode()).digest()
    block = 1 + int.from_bytes(digest[:8], "big") % 63
    first = int(subnet.network_address) + block * size
    return {
        f"{base}-{n}": str(ipaddress.ip_address(first + n)) for n in range(1, count + 1)
    }


def declare_bare_cluster(
    startup: str,
    location: str,
    control_plane: list[str],
    servers: list[str],
    backups: Any,
) -> tuple[dict[str, Any], dict[str, Any], tuple[Any, Any, Any]]:
    """The cluster's CAs, tokens and API addresses as raw resources, and per server a
    secret user data that needs what souverain's needs (its text stays unknown in a
    plan, so the bare program renders none)."""
    uses = ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"]
    needed = [backups]
    for role in (
        "server-ca",
        "client-ca",
        "request-header-ca",
        "etcd-peer-ca",
        "etcd-server-ca",
    ):
        key = tls.PrivateKey(
            f"{startup}-{role}-key", algorithm="ECDSA", ecdsa_curve="P256"
        )
        cert = tls.SelfSignedCert(
            f"{startup}-{role}",
            private_key_pem=key.private_key_pem,
            is_ca_certificate=True,
            validity_period_hours=87600,
            allowed_uses=uses,
            subject=tls.SelfSignedCertSubjectArgs(
                common_name=f"{startup}-k3s-{role}", organization="souverain"
            ),
        )
        needed += [cert.cert_pem, key.private_key_pem]
        if role == "client-ca":
            client_ca = (cert.cert_pem, key.private_key_pem)
    account = tls.PrivateKey(
        f"{startup}-service-account-key", algorithm="RSA", rsa_bits=2048
    )
    needed.append(account.private_key_pem)
    for kind in ("server", "agent"):
        token = random.RandomPassword(
            f"{startup}-{kind}-token", length=48, special=False
        )
        needed.append(token.result)

    addresses = {
        name: hcloud.PrimaryIp(
            f"{name}-ipv4",
            name=f"{name}-ipv4",
            type="ipv4",
            location=location,
            assignee_type="server",
            auto_delete=False,
            labels={"souverain.eu/startup": startup},
        )
        for name in control_plane
    }
    shared = pulumi.Output.all(*needed)
    user_data = {
        name: pulumi.Output.secret(
            pulumi.Output.all(
                shared, addresses[name].ip_address if name in addresses else None
            ).apply(lambda _: "")
        )
        for name in servers
    }
    ids = {name: ip.id.apply(int) for name, ip in addresses.items()}
    api_address = addresses[control_plane[0]].ip_address
    return user_data, ids, (api_address, *client_ca)


def declare_bare_admin(
    startup: str, api_address: Any, ca_pem: Any, ca_key: Any
) -> None:
    """The admin certificate and the two cluster exports."""
    key = tls.PrivateKey(f"{startup}-admin-key", algorithm="ECDSA", ecdsa_curve="P256")
    request = tls.CertRequest(
        f"{startup}-admin-request",
        private_key_pem=key.private_key_pem,
        subject=tls.CertRequestSubjectArgs(
            common_name="system:admin", organization="system:masters"
        ),
    )
    cert = tls.LocallySignedCert(
        f"{startup}-admin-cert",
        cert_request_pem=request.cert_request_pem,
        ca_cert_pem=ca_pem,
        ca_private_key_pem=pulumi.Output.secret(ca_key),
        validity_period_hours=8760,
        early_renewal_hours=720,
        allowed_uses=["client_auth", "digital_signature", "key_encipherment"],
    )
    url = api_address.apply(lambda ip: f"https://{ip}:6443")
    pulumi.export("kubeconfig", pulumi.Output.secret(cert.cert_pem))
    pulumi.export("kubeApiUrl", url)


def declare_bare_scaleway(settings: dict[str, Any], startup: str, zone: Any) -> None:
    """The Scaleway provider, registry and e-mail domain with its records, raw."""
    project = settings["scalewayProjectId"]
    region = settings.get("scalewayRegion", "fr-par")
    provider = scaleway.Provider(
        f"{startup}-scaleway",
        access_key=pulumi.Output.secret("[secret]"),
        secret_key=pulumi.Output.secret("[secret]"),
        project_id=project,
        region=region,
    )
    opts = pulumi.ResourceOptions(provider=provider)
    if settings.get("enableRegistry"):
        namespace = settings.get("registryNamespace", startup)
        scaleway.registry.Namespace(
            f"{startup}-registry-namespace",
            name=namespace,
            region=region,
            project_id=project,
            is_public=False,
            opts=opts,
        )
        application = scaleway.iam.Application(
            f"{startup}-registry-pusher",
            name=f"{namespace}-registry",
            description="Pushes and pulls images of this project's registry only.",
            opts=opts,
        )
        scaleway.iam.Policy(
            f"{startup}-registry-push-pull",
            name=f"{namespace}-registry-push-pull",
            application_id=application.id,
            rules=[
                scaleway.iam.PolicyRuleArgs(
                    project_ids=[project],
                    permission_set_names=["ContainerRegistryFullAccess"],
                )
            ],
            opts=opts,
        )
        scaleway.iam.ApiKey(
            f"{startup}-registry-key",
            application_id=application.id,
            default_project_id=project,
            description="Registry push and pull for souverain",
            opts=pulumi.ResourceOptions(
                provider=provider, additional_secret_outputs=["secret_key"]
            ),
        )
    if settings.get("enableEmail") and zone is not None:
        domain = scaleway.tem.Domain(
            f"{startup}-email-domain",
            name=settings["domain"],
            region=region,
            project_id=project,
            accept_tos=True,
            opts=opts,
        )
        key = pulumi.Output.secret("[secret]")
        api = settings.get("bunnyApiUrl", "https://api.bunny.net")
        records = {
            "spf": {"type": "TXT", "name": "", "value": domain.spf_value},
            "dkim": {
                "type": "TXT",
                "name": domain.dkim_name,
                "value": domain.dkim_config,
            },
            "dmarc": {
                "type": "TXT",
                "name": domain.dmarc_name,
                "value": domain.dmarc_config,
            },
        }
        for role, record in records.items():
            DnsRecord(f"{startup}-email-{role}", zone.zone_id, record, key, api)


def declare_bare_edge(
    settings: dict[str, Any], startup: str, balancer: Any, assets: Any
) -> Any:
    """The bunny.net zone, pull zones, storage zone and records, as raw resources."""
    location = settings.get("location", "fsn1")
    domain = settings["domain"]
    key = pulumi.Output.secret("[secret]")
    api = settings.get("bunnyApiUrl", "https://api.bunny.net")
    zone = DnsZone(f"{startup}-zone", domain, key, api)
    site = PullZone(
        f"{startup}-site",
        f"{startup}-site",
        pulumi.Output.concat("https://", balancer.ipv4),
        key,
        api,
        hostnames=[domain, f"www.{domain}"],
        origin_host_header=domain,
    )
    StorageZone(
        f"{startup}-storage",
        f"{startup}-edge",
        settings.get("bunnyStorageRegion", "DE"),
        key,
        api,
        replication_regions=settings.get("bunnyStorageReplication", []),
    )
    apex = {"type": "PULLZONE", "value": site.cdn_hostname}
    records = [
        ("apex-pullzone", "", {**apex, "pull_zone_id": site.pull_zone_id}),
        ("www-cname", "www", {"type": "CNAME", "value": site.cdn_hostname}),
        ("apex-caa", "", {"type": "CAA", "value": "letsencrypt.org", "flags": 0}),
    ]
    records[2][2]["tag"] = "issue"
    for label in ("app", "api", "rancher"):
        records.append((f"{label}-a", label, {"type": "A", "value": balancer.ipv4}))
        records.append(
            (f"{label}-aaaa", label, {"type": "AAAA", "value": balancer.ipv6})
        )
    if assets is not None:
        cdn = PullZone(
            f"{startup}-assets",
            f"{startup}-assets",
            pulumi.Output.concat("https://", assets.domain),
            key,
            api,
            hostnames=[f"assets.{domain}"],
            origin_host_header=assets.domain,
            optimizer_enabled=True,
            origin_signing=pulumi.Output.secret(
                {"access_key": "[secret]", "secret_key": "[secret]", "region": location}
            ),
        )
        records.append(
            ("assets-cname", "assets", {"type": "CNAME", "value": cdn.cdn_hostname})
        )
    for suffix, label, record in records:
        DnsRecord(
            f"{startup}-{suffix}", zone.zone_id, {"name": label, **record}, key, api
        )
    return zone


def plan_bare(settings: dict[str, Any], stack: str) -> Plan:
    """Plan the bare program through the same `run_plan` as souverain's plan."""
    return run_plan(bare_program(settings), "souverain", stack, {}, set())


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
            f"program {len(theirs)}: update bare_program() to match the components"
        )
    differing = [key for key in sorted(ours) if ours[key] != theirs.get(key)]
    if differing:
        raise AssertionError(
            f"{stack}: the bare program declares these differently (type, name): "
            f"{differing[:3]}: update bare_program() to match the components"
        )

    declared = sum(1 for kind, _ in ours if kind == "hcloud:index/server:Server")
    if declared != servers:
        raise AssertionError(f"{stack}: expected {servers} servers, planned {declared}")
    return len(ours)


def timed(run: Callable[[], Plan]) -> tuple[float, Plan]:
    """Wall time of one plan, started from a collected heap so runs compare."""
    gc.collect()
    start = time.perf_counter()
    plan = run()
    return time.perf_counter() - start, plan


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


def cold_cli_times(repeats: int) -> tuple[float, list[float]]:
    """Wall times of `souverain plan --stack prod` as new processes.

    The first run is returned apart: it may write bytecode and fill the file cache,
    which a user pays once after installing, not on every plan.
    """
    command = [str(Path(sys.executable).with_name("souverain")), "plan", "-s", "prod"]
    if not Path(command[0]).is_file():
        command[0] = shutil.which("souverain") or "souverain"

    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
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


def print_targets(rows: list[dict[str, Any]]) -> None:
    """Each target, the figure it is judged on, and PASS or MISS."""
    by_stack = {row["stack"]: row for row in rows}
    small, large = by_stack["workers-100"], by_stack[f"workers-{LARGE_WORKERS}"]

    def per_resource(row: dict[str, Any], key: str) -> float:
        return row[key] / row["hcloud"]

    flat = per_resource(large, "souverain_s") / per_resource(small, "souverain_s")
    flat_bare = per_resource(large, "bare_s") / per_resource(small, "bare_s")
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
        "ms/res = milliseconds per cloud resource (hcloud and s3); "
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

    first_s, cold = cold_cli_times(repeats)
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
