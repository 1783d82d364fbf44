"""What the fake bunny.net API keeps: DNS zones and records, pull zones, storage zones.

Each handler takes a `Call` that already passed the contract and returns the status
and body to answer, or raises `ApiError` in bunny.net's format. Objects start from
the spec's schemas (`Contract.blank`) and take the server-side rewrites bunny.net
documents, such as ids it assigns and the `<name>.b-cdn.net` hostname of every pull
zone.
"""

import itertools
from collections.abc import Callable
from typing import Any

from tests.fakes.bunny_contract import ApiError, Body, Call, Contract, RefusalError

# The add and settings models spell this field differently from the pull zone model.
PULL_ZONE_RENAMED_FIELDS = {"EnableWebpVary": "EnableWebPVary"}
# Values of the spec's PullZoneOriginType and CertificateProvisionType enums.
ORIGIN_TYPE_STORAGE_ZONE = 2
CERTIFICATE_PROVISION_HTTP01 = 1

Handler = Callable[[Call], tuple[int, Any]]


class BunnyState:
    """The zones of one fake account, by Id, as API bodies."""

    def __init__(self, contract: Contract, now: str):
        self.contract = contract
        self.now = now
        self.dns_zones: dict[int, Body] = {}
        self.pull_zones: dict[int, Body] = {}
        self.storage_zones: dict[int, Body] = {}
        # Ids from distinct ranges, so a test that mixes them up fails.
        self._ids = {
            kind: itertools.count(start)
            for kind, start in (
                ("dns_zone", 1001),
                ("pull_zone", 2001),
                ("storage_zone", 3001),
                ("record", 5001),
                ("hostname", 7001),
            )
        }

    def routes(self) -> dict[tuple[str, str], Handler]:
        """The handler of each spec operation (path template, method) served."""
        return {
            ("/dnszone", "get"): self._list_dns_zones,
            ("/dnszone", "post"): self._add_dns_zone,
            ("/dnszone/{id}", "get"): lambda call: (200, self._dns_zone(call)),
            ("/dnszone/{id}", "post"): self._update_dns_zone,
            ("/dnszone/{id}", "delete"): self._delete_dns_zone,
            ("/dnszone/{zoneId}/records", "put"): self._add_record,
            ("/dnszone/{zoneId}/records/{id}", "post"): self._update_record,
            ("/dnszone/{zoneId}/records/{id}", "delete"): self._delete_record,
            ("/pullzone", "get"): self._list_pull_zones,
            ("/pullzone", "post"): self._add_pull_zone,
            ("/pullzone/{id}", "get"): lambda call: (200, self._pull_zone(call)),
            ("/pullzone/{id}", "post"): self._update_pull_zone,
            ("/pullzone/{id}", "delete"): self._delete_pull_zone,
            ("/pullzone/{id}/addHostname", "post"): self._add_hostname,
            ("/pullzone/{id}/removeHostname", "delete"): self._remove_hostname,
            ("/pullzone/{id}/setForceSSL", "post"): self._set_force_ssl,
            ("/pullzone/loadFreeCertificate", "get"): self._load_free_certificate,
            ("/storagezone", "get"): self._list_storage_zones,
            ("/storagezone", "post"): self._add_storage_zone,
            ("/storagezone/{id}", "get"): self._get_storage_zone,
            ("/storagezone/{id}", "post"): self._update_storage_zone,
            ("/storagezone/{id}", "delete"): self._delete_storage_zone,
        }

    # DNS zones and records.

    def _list_dns_zones(self, call: Call) -> tuple[int, Any]:
        zones = _search(self.dns_zones.values(), "Domain", call)
        return 200, _page(zones, call.params.get("page", 1), call)

    def _add_dns_zone(self, call: Call) -> tuple[int, Any]:
        domain = call.body["Domain"]
        if any(zone["Domain"] == domain for zone in self.dns_zones.values()):
            message = f"The domain {domain} is already registered."
            raise ApiError(400, "dnszone.domain_taken", "Domain", message)
        records = [self._record(fields) for fields in call.body.get("Records") or []]

        zone = self.contract.blank("DnsZoneModel", self.now)
        zone |= {"Domain": domain, "Records": records}
        # bunny.net's nameservers, which a domain's registrar must point to.
        zone |= {"Nameserver1": "kiki.bunny.net", "Nameserver2": "coco.bunny.net"}
        zone["Id"] = next(self._ids["dns_zone"])
        self.dns_zones[zone["Id"]] = zone
        return 201, zone

    def _dns_zone(self, call: Call, key: str = "id") -> Body:
        zone = self.dns_zones.get(call.params[key])
        if zone is None:
            message = "The DNS Zone with the requested ID does not exist."
            raise ApiError(404, "dnszone.not_found", key, message)
        return zone

    def _update_dns_zone(self, call: Call) -> tuple[int, Any]:
        zone = self._dns_zone(call)
        zone |= {
            key: value
            for key, value in call.body.items()
            if key in zone and value is not None
        }
        zone["DateModified"] = self.now
        return 200, zone

    def _delete_dns_zone(self, call: Call) -> tuple[int, Any]:
        del self.dns_zones[self._dns_zone(call)["Id"]]
        return 204, None

    def _record(self, fields: Body) -> Body:
        if fields.get("Type") is None:
            message = "The record type is required."
            raise ApiError(400, "dnsrecord.type_required", "Type", message)
        record = self.contract.blank("DnsRecordModel", self.now)
        # Fields the add model has and the record model lacks (PullZoneId, ScriptId)
        # are links the fake does not keep.
        record |= {
            key: value
            for key, value in fields.items()
            if key in record and value is not None
        }
        record["Id"] = next(self._ids["record"])
        return record

    def _add_record(self, call: Call) -> tuple[int, Any]:
        zone = self._dns_zone(call, "zoneId")
        record = self._record(call.body)
        zone["Records"].append(record)
        return 201, record

    def _find_record(self, call: Call) -> tuple[Body, Body]:
        zone = self._dns_zone(call, "zoneId")
        for record in zone["Records"]:
            if record["Id"] == call.params["id"]:
                return zone, record
        message = "The DNS Zone or DNS Record with the requested ID does not exist."
        raise ApiError(404, "dnsrecord.not_found", "id", message)

    def _update_record(self, call: Call) -> tuple[int, Any]:
        _, record = self._find_record(call)
        record |= {
            key: value
            for key, value in call.body.items()
            if key in record and key != "Id" and value is not None
        }
        return 204, None

    def _delete_record(self, call: Call) -> tuple[int, Any]:
        zone, record = self._find_record(call)
        zone["Records"].remove(record)
        return 204, None

    # Pull zones and their hostnames.

    def _list_pull_zones(self, call: Call) -> tuple[int, Any]:
        zones = _search(self.pull_zones.values(), "Name", call)
        return 200, _page(zones, _required_page(call), call)

    def _add_pull_zone(self, call: Call) -> tuple[int, Any]:
        name = call.body["Name"]
        if any(zone["Name"] == name for zone in self.pull_zones.values()):
            message = f"The pull zone name {name} is already taken."
            raise ApiError(400, "pullzone.name_taken", "Name", message)
        storage_zone_id = call.body.get("StorageZoneId")
        if storage_zone_id is not None and storage_zone_id not in self._live_storage():
            message = f"The storage zone {storage_zone_id} does not exist."
            raise ApiError(
                400, "pullzone.storage_zone_not_found", "StorageZoneId", message
            )

        zone = self.contract.blank("PullZoneModel", self.now)
        _apply_pull_zone_settings(zone, call.body)
        zone["Id"] = next(self._ids["pull_zone"])
        zone |= {"Name": name, "Enabled": True, "CnameDomain": f"{name}.b-cdn.net"}
        zone["ZoneSecurityKey"] = f"fake-zone-security-key-{zone['Id']}"
        if storage_zone_id is not None and "OriginType" not in call.body:
            zone["OriginType"] = ORIGIN_TYPE_STORAGE_ZONE
        # Every pull zone answers on <name>.b-cdn.net, with bunny.net's certificate.
        system = self._hostname(f"{name}.b-cdn.net")
        system |= {"IsSystemHostname": True, "HasCertificate": True}
        zone["Hostnames"] = [system]
        self.pull_zones[zone["Id"]] = zone
        return 201, zone

    def _pull_zone(self, call: Call) -> Body:
        zone = self.pull_zones.get(call.params["id"])
        if zone is None:
            message = "The Pull Zone with the requested ID does not exist"
            raise ApiError(404, "pullzone.not_found", "id", message)
        return zone

    def _update_pull_zone(self, call: Call) -> tuple[int, Any]:
        zone = self._pull_zone(call)
        _apply_pull_zone_settings(zone, call.body)
        return 200, zone

    def _delete_pull_zone(self, call: Call) -> tuple[int, Any]:
        del self.pull_zones[self._pull_zone(call)["Id"]]
        return 204, None

    def _hostname(self, value: str) -> Body:
        hostname = self.contract.blank("HostnameModel", self.now)
        hostname |= {"Id": next(self._ids["hostname"]), "Value": value}
        return hostname

    def _find_hostname(self, zone: Body, value: str) -> Body:
        for hostname in zone["Hostnames"]:
            if hostname["Value"].lower() == value.lower():
                return hostname
        message = f"The hostname {value} is not on pull zone {zone['Id']}."
        raise ApiError(400, "pullzone.hostname_not_found", "Hostname", message)

    def _add_hostname(self, call: Call) -> tuple[int, Any]:
        zone = self._pull_zone(call)
        value = call.body["Hostname"]
        for other in self.pull_zones.values():
            if any(h["Value"].lower() == value.lower() for h in other["Hostnames"]):
                message = "The hostname is already registered."
                raise ApiError(400, "pullzone.hostname_taken", "Hostname", message)
        zone["Hostnames"].append(self._hostname(value))
        return 204, None

    def _remove_hostname(self, call: Call) -> tuple[int, Any]:
        zone = self._pull_zone(call)
        hostname = self._find_hostname(zone, call.body["Hostname"])
        if hostname["IsSystemHostname"]:
            message = "The system hostname of a pull zone cannot be removed."
            raise ApiError(400, "pullzone.hostname_system", "Hostname", message)
        zone["Hostnames"].remove(hostname)
        return 204, None

    def _set_force_ssl(self, call: Call) -> tuple[int, Any]:
        zone = self._pull_zone(call)
        hostname = self._find_hostname(zone, call.body["Hostname"])
        hostname["ForceSSL"] = call.body["ForceSSL"]
        return 204, None

    def _load_free_certificate(self, call: Call) -> tuple[int, Any]:
        value = call.params["hostname"]
        for zone in self.pull_zones.values():
            for hostname in zone["Hostnames"]:
                if hostname["Value"].lower() == value.lower():
                    hostname["HasCertificate"] = True
                    provision = CERTIFICATE_PROVISION_HTTP01
                    hostname["CertificateProvisionType"] = provision
                    return 200, None
        message = "The hostname was not found in the account"
        raise ApiError(404, "pullzone.hostname_not_found", "hostname", message)

    # Storage zones.

    def _live_storage(self) -> dict[int, Body]:
        zones = self.storage_zones.items()
        return {key: zone for key, zone in zones if not zone["Deleted"]}

    def _storage_view(self, zone: Body) -> Body:
        """The storage zone with the pull zones that serve it, as the API lists it."""
        linked = [
            p for p in self.pull_zones.values() if p["StorageZoneId"] == zone["Id"]
        ]
        return zone | {"PullZones": linked}

    def _list_storage_zones(self, call: Call) -> tuple[int, Any]:
        deleted = call.params.get("includeDeleted", False)
        zones = [z for z in self.storage_zones.values() if deleted or not z["Deleted"]]
        zones = [self._storage_view(zone) for zone in _search(zones, "Name", call)]
        return 200, _page(zones, _required_page(call), call)

    def _add_storage_zone(self, call: Call) -> tuple[int, Any]:
        name, region = call.body["Name"], call.body["Region"]
        if any(zone["Name"] == name for zone in self.storage_zones.values()):
            message = f"The storage zone name {name} is already taken."
            raise ApiError(400, "storagezone.name_taken", "Name", message)

        zone = self.contract.blank("StorageZoneModel", self.now)
        zone |= {
            key: value
            for key, value in call.body.items()
            if key in zone and value is not None
        }
        zone["Id"] = next(self._ids["storage_zone"])
        zone["UserId"] = "fake-user"
        zone["Password"] = f"fake-storage-password-{zone['Id']}"
        zone["ReadOnlyPassword"] = f"fake-storage-read-only-password-{zone['Id']}"
        # The Edge Storage API's hosts: Falkenstein has none of its own prefix.
        prefix = "" if region == "DE" else f"{region.lower()}."
        zone["StorageHostname"] = f"{prefix}storage.bunnycdn.com"
        self.storage_zones[zone["Id"]] = zone
        return 201, self._storage_view(zone)

    def _storage_zone(self, call: Call) -> Body:
        zone = self._live_storage().get(call.params["id"])
        if zone is None:
            message = "The Storage Zone with the requested ID does not exist"
            raise ApiError(404, "storagezone.not_found", "id", message)
        return zone

    def _get_storage_zone(self, call: Call) -> tuple[int, Any]:
        return 200, self._storage_view(self._storage_zone(call))

    def _update_storage_zone(self, call: Call) -> tuple[int, Any]:
        zone = self._storage_zone(call)
        # Replication can be added, never removed: the API keeps every region.
        for region in call.body.get("ReplicationZones") or []:
            if region not in zone["ReplicationRegions"]:
                zone["ReplicationRegions"].append(region)
        for key in ("Custom404FilePath", "Rewrite404To200"):
            if call.body.get(key) is not None:
                zone[key] = call.body[key]
        zone["DateModified"] = self.now
        return 204, None

    def _delete_storage_zone(self, call: Call) -> tuple[int, Any]:
        zone = self._storage_zone(call)
        # The API keeps deleted zones, listed with includeDeleted=true.
        zone["Deleted"] = True
        if call.params.get("deleteLinkedPullZones", True):
            for pull_zone in self._storage_view(zone)["PullZones"]:
                del self.pull_zones[pull_zone["Id"]]
        return 204, None


def _apply_pull_zone_settings(zone: Body, settings: Body) -> None:
    """Write the settings the pull zone model shows; the rest the API keeps apart."""
    for key, value in settings.items():
        key = PULL_ZONE_RENAMED_FIELDS.get(key, key)
        if key in zone and value is not None:
            zone[key] = value


def _search(items: Any, key: str, call: Call) -> list[Body]:
    term = (call.params.get("search") or "").lower()
    return [item for item in items if term in (item[key] or "").lower()]


def _required_page(call: Call) -> int:
    """The page asked for; refused when absent, unlike the API.

    Without `page` (the spec's default is 0, below its own minimum of 1) bunny.net
    answers a bare list, which the spec does not document: a client must ask for a
    page to get the paginated object the spec describes.
    """
    if "page" not in call.params:
        message = "send page=1 or more: without it bunny.net answers a bare list"
        raise RefusalError(400, "fake.page_required", "page", message)
    return call.params["page"]


def _page(items: list[Body], page: int, call: Call) -> Body:
    per_page = call.params.get("perPage", 1000)
    start = (page - 1) * per_page
    return {
        "Items": items[start : start + per_page],
        "CurrentPage": page,
        "TotalItems": len(items),
        "HasMoreItems": start + per_page < len(items),
    }
