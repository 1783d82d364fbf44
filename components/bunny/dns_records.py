"""DNS records in souverain's shape, checked, and translated to bunny.net's API.

bunny.net encodes record types as integers (`DnsRecordTypes` in its Core API spec)
and writes the zone apex as an empty name. Records here use type names and `@` or ``
for the apex; `normalized` brings what a user wrote and what the API answers to one
form, so a second `pulumi up` shows no change.
"""

import ipaddress
from typing import Any

# bunny.net's DnsRecordTypes enum, for the types souverain manages. PULLZONE points a
# name (the apex, where a CNAME may not stand) at a pull zone of the same account.
RECORD_TYPES = {
    "A": 0,
    "AAAA": 1,
    "CNAME": 2,
    "TXT": 3,
    "MX": 4,
    "PULLZONE": 7,
    "SRV": 8,
    "CAA": 9,
}
TYPE_NAMES = {number: name for name, number in RECORD_TYPES.items()}
CAA_TAGS = ("issue", "issuewild", "iodef")
DEFAULT_TTL = 300
# The fields each type carries besides name, value and ttl.
EXTRA_FIELDS = {
    "MX": ("priority",),
    "SRV": ("priority", "weight", "port"),
    "CAA": ("flags", "tag"),
    "PULLZONE": ("pull_zone_id",),
}
API_FIELDS = {
    "priority": "Priority",
    "weight": "Weight",
    "port": "Port",
    "flags": "Flags",
    "tag": "Tag",
    "pull_zone_id": "PullZoneId",
}


def normalized(record: dict[str, Any]) -> dict[str, Any]:
    """The managed fields of a record in one comparable form."""
    record_type = str(record.get("type", "")).upper()
    name = str(record.get("name") or "")
    value = str(record.get("value") or "")
    if record_type in ("CNAME", "MX", "PULLZONE"):
        value = value.rstrip(".").lower()
    result = {
        "type": record_type,
        "name": "" if name == "@" else name.lower(),
        "value": value,
        "ttl": int(record.get("ttl") or DEFAULT_TTL),
    }
    for field in EXTRA_FIELDS.get(record_type, ()):
        if field == "tag":
            result[field] = record.get(field)
        elif field in record:
            result[field] = int(record.get(field) or 0)
    return result


def record_problems(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(property, reason) for everything wrong with one record."""
    record_type = str(record.get("type", "")).upper()
    value = str(record.get("value") or "")
    if record_type not in RECORD_TYPES:
        return [
            ("type", f"'{record.get('type')}' is not one of {', '.join(RECORD_TYPES)}")
        ]
    problems = []
    if not value:
        problems.append(("value", f"a {record_type} record needs a value"))
    elif record_type in ("A", "AAAA"):
        version = 4 if record_type == "A" else 6
        try:
            if ipaddress.ip_address(value).version != version:
                raise ValueError
        except ValueError:
            problems.append(
                (
                    "value",
                    f"'{value}' is not an IPv{version} address for an {record_type}",
                )
            )
    if record_type == "CAA" and record.get("tag") not in CAA_TAGS:
        problems.append(("tag", f"a CAA record's tag is one of {', '.join(CAA_TAGS)}"))
    # Pulumi carries every number as a float: 300.0 is a whole number of seconds.
    ttl = record.get("ttl", DEFAULT_TTL)
    whole = isinstance(ttl, int | float) and not isinstance(ttl, bool)
    if not whole or not float(ttl).is_integer() or not 15 <= ttl <= 86400:
        problems.append(("ttl", "ttl is a whole number of seconds from 15 to 86400"))
    return problems


def api_body(record: dict[str, Any]) -> dict[str, Any]:
    """The body bunny.net's add and update record calls take."""
    clean = normalized(record)
    body = {
        "Type": RECORD_TYPES[clean["type"]],
        "Name": clean["name"],
        "Value": clean["value"],
        "Ttl": clean["ttl"],
    }
    for field in EXTRA_FIELDS.get(clean["type"], ()):
        body[API_FIELDS[field]] = clean.get(field, 0)
    return body


def from_api(answer: dict[str, Any]) -> dict[str, Any]:
    """A record from bunny.net's answer, in souverain's shape."""
    record_type = TYPE_NAMES.get(answer.get("Type"), str(answer.get("Type")))
    record = {
        "type": record_type,
        "name": answer.get("Name") or "",
        "value": answer.get("Value") or "",
        "ttl": answer.get("Ttl"),
    }
    for field in EXTRA_FIELDS.get(record_type, ()):
        # The record model has no PullZoneId: what was written stays in the state.
        if API_FIELDS[field] in answer:
            record[field] = answer[API_FIELDS[field]]
    return normalized(record)
