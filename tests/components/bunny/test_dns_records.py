"""DNS records: checks, normal form, and bunny.net's integer-typed bodies."""

from components.bunny import dns_records


def test_apex_and_trailing_dots_normalise_to_what_bunny_answers():
    written = {"type": "cname", "name": "@", "value": "Acme.b-cdn.net.", "ttl": 300}
    answered = {"Type": 2, "Name": "", "Value": "acme.b-cdn.net", "Ttl": 300, "Id": 7}

    assert dns_records.normalized(written) == dns_records.from_api(answered)


def test_api_bodies_carry_bunnys_type_numbers_and_extra_fields():
    assert dns_records.api_body(
        {"type": "MX", "name": "@", "value": "mx.acme.eu.", "ttl": 3600, "priority": 10}
    ) == {"Type": 4, "Name": "", "Value": "mx.acme.eu", "Ttl": 3600, "Priority": 10}
    assert dns_records.api_body(
        {
            "type": "CAA",
            "name": "",
            "value": "letsencrypt.org",
            "flags": 0,
            "tag": "issue",
        }
    ) == {
        "Type": 9,
        "Name": "",
        "Value": "letsencrypt.org",
        "Ttl": 300,
        "Flags": 0,
        "Tag": "issue",
    }
    assert dns_records.api_body(
        {
            "type": "SRV",
            "name": "_sip._tcp",
            "value": "sip.acme.eu",
            "priority": 1,
            "weight": 5,
            "port": 5060,
        }
    ) == {
        "Type": 8,
        "Name": "_sip._tcp",
        "Value": "sip.acme.eu",
        "Ttl": 300,
        "Priority": 1,
        "Weight": 5,
        "Port": 5060,
    }


def test_each_bad_record_field_is_named():
    assert dns_records.record_problems({"type": "PTR", "value": "x"}) == [
        ("type", "'PTR' is not one of A, AAAA, CNAME, TXT, MX, PULLZONE, SRV, CAA")
    ]
    assert dns_records.record_problems(
        {"type": "A", "value": "2001:db8::1", "ttl": 5}
    ) == [
        ("value", "'2001:db8::1' is not an IPv4 address for an A"),
        ("ttl", "ttl is a whole number of seconds from 15 to 86400"),
    ]
    assert dns_records.record_problems(
        {"type": "CAA", "value": "letsencrypt.org", "tag": "issues"}
    ) == [("tag", "a CAA record's tag is one of issue, issuewild, iodef")]
    assert dns_records.record_problems({"type": "TXT", "value": ""}) == [
        ("value", "a TXT record needs a value")
    ]
