"""Which input changes make a provider replace a resource instead of updating it.

A diff between two offline plans sees only inputs, never the provider's own verdict,
so this module says what each provider would do where that can be known offline:

- Hetzner (pulumi-hcloud 1.43.3): the properties its schema marks
  `willReplaceOnChanges`; a test holds the table to the schema in shared/specs. The
  schema marks nothing on the resources Hetzner's Terraform provider implements with
  Terraform's plugin framework (SSH keys, primary IPs, server and load balancer
  networks, reverse DNS, zones, storage boxes): their `RequiresReplace` attributes
  are read from terraform-provider-hcloud v1.68.0 (internal/*/resource.go) and
  listed in FRAMEWORK_REPLACES.
- souverain's dynamic providers: the properties their `diff()` lists in `replaces`;
  a test holds the table to each provider's `diff()`.

For every other provider (tls, random, kubernetes, scaleway, Pulumi's own providers)
the schema marks nothing (the plugin-framework bridge keeps replacement inside the
provider), so whether a change replaces is not known offline: `replacing_inputs`
answers None and the report says so.
"""

HCLOUD_REPLACES: dict[str, tuple[str, ...]] = {
    "hcloud:index/certificate:Certificate": ("certificate", "privateKey"),
    "hcloud:index/firewall:Firewall": (),
    "hcloud:index/firewallAttachment:FirewallAttachment": ("firewallId",),
    "hcloud:index/floatingIp:FloatingIp": ("homeLocation", "type"),
    "hcloud:index/floatingIpAssignment:FloatingIpAssignment": ("floatingIpId",),
    "hcloud:index/loadBalancer:LoadBalancer": ("location", "networkZone"),
    "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork": (
        "ip",
        "loadBalancerId",
        "networkId",
        "subnetId",
    ),
    "hcloud:index/loadBalancerService:LoadBalancerService": (
        "listenPort",
        "loadBalancerId",
        "protocol",
    ),
    "hcloud:index/loadBalancerTarget:LoadBalancerTarget": (
        "ip",
        "labelSelector",
        "loadBalancerId",
        "serverId",
    ),
    "hcloud:index/managedCertificate:ManagedCertificate": ("domainNames",),
    "hcloud:index/network:Network": ("ipRange",),
    "hcloud:index/networkRoute:NetworkRoute": ("destination", "gateway", "networkId"),
    "hcloud:index/networkSubnet:NetworkSubnet": (
        "ipRange",
        "networkId",
        "networkZone",
        "type",
        "vswitchId",
    ),
    "hcloud:index/placementGroup:PlacementGroup": (),
    "hcloud:index/primaryIp:PrimaryIp": ("location", "type"),
    "hcloud:index/rdns:Rdns": (
        "floatingIpId",
        "ipAddress",
        "loadBalancerId",
        "primaryIpId",
        "serverId",
    ),
    # serverType is not here: Hetzner resizes a server in place, with a restart.
    "hcloud:index/server:Server": (
        "datacenter",
        "image",
        "location",
        "sshKeys",
        "userData",
    ),
    "hcloud:index/serverNetwork:ServerNetwork": (
        "ip",
        "networkId",
        "serverId",
        "subnetId",
    ),
    "hcloud:index/snapshot:Snapshot": ("serverId",),
    "hcloud:index/sshKey:SshKey": ("publicKey",),
    "hcloud:index/storageBox:StorageBox": ("location", "sshKeys"),
    "hcloud:index/storageBoxSnapshot:StorageBoxSnapshot": ("storageBoxId",),
    "hcloud:index/storageBoxSubaccount:StorageBoxSubaccount": ("storageBoxId",),
    "hcloud:index/uploadedCertificate:UploadedCertificate": (
        "certificate",
        "privateKey",
    ),
    "hcloud:index/volume:Volume": ("location",),
    "hcloud:index/volumeAttachment:VolumeAttachment": ("serverId", "volumeId"),
    "hcloud:index/zone:Zone": ("mode", "name"),
    "hcloud:index/zoneRecord:ZoneRecord": ("name", "type", "value", "zone"),
    "hcloud:index/zoneRrset:ZoneRrset": ("name", "type", "zone"),
}
# The entries above that come from the Terraform provider's code, not the schema.
FRAMEWORK_REPLACES = frozenset(
    {
        "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork",
        "hcloud:index/primaryIp:PrimaryIp",
        "hcloud:index/rdns:Rdns",
        "hcloud:index/serverNetwork:ServerNetwork",
        "hcloud:index/sshKey:SshKey",
        "hcloud:index/storageBox:StorageBox",
        "hcloud:index/storageBoxSnapshot:StorageBoxSnapshot",
        "hcloud:index/storageBoxSubaccount:StorageBoxSubaccount",
        "hcloud:index/zone:Zone",
        "hcloud:index/zoneRecord:ZoneRecord",
        "hcloud:index/zoneRrset:ZoneRrset",
    }
)

DYNAMIC_REPLACES: dict[str, tuple[str, ...]] = {
    "pulumi-python:dynamic/s3:Bucket": ("bucket", "location"),
    "pulumi-python:dynamic/bunny:DnsZone": ("domain",),
    "pulumi-python:dynamic/bunny:DnsRecord": ("type", "zone_id"),
    "pulumi-python:dynamic/bunny:PullZone": ("name",),
    # Dropping a replication region replaces the zone too; adding one updates it.
    # The diff reports either as a change of replication_regions, so a dropped
    # region shows as an update here.
    "pulumi-python:dynamic/bunny:StorageZone": ("name", "region", "zone_tier"),
    "pulumi-python:dynamic/kubernetes:ClusterReady": ("kubeconfig", "target", "url"),
    "pulumi-python:dynamic/kubernetes:RancherReady": ("kubeconfig", "target", "url"),
}


def replacing_inputs(
    type_token: str, replace_on_changes: tuple[str, ...] = ()
) -> tuple[str, ...] | None:
    """The top-level inputs whose change replaces a resource of `type_token`.

    `replace_on_changes` adds the resource's own option of that name. None means the
    provider decides in ways an offline plan cannot see; "*" in the option means any
    change replaces.
    """
    known = HCLOUD_REPLACES.get(type_token, DYNAMIC_REPLACES.get(type_token))
    if known is None and not replace_on_changes:
        return None
    return tuple(sorted({*(known or ()), *replace_on_changes}))
