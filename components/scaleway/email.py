"""Transactional e-mail at Scaleway, its SPF, DKIM and DMARC records at bunny.net."""

from dataclasses import dataclass

import pulumi
import pulumiverse_scaleway as scaleway

from components.bunny.dns import DnsRecord

# Hetzner blocks outbound 25 and 465 from its servers; 587 (STARTTLS) gets through.
SUBMISSION_PORT = 587
MX_PRIORITY = 10


def relative_name(name: str, domain: str) -> str:
    """A record name relative to the zone: `_dmarc.acme.eu` -> `_dmarc`."""
    name = name.rstrip(".")
    if name == domain:
        return ""
    return name.removesuffix(f".{domain}")


@dataclass
class EmailArgs:
    """Inputs of TransactionalEmail."""

    domain: str
    """The domain mail is sent from."""
    region: str
    """An EU region of Scaleway's transactional e-mail: fr-par, nl-ams or pl-waw."""
    project_id: str
    """The Scaleway project that holds the domain."""
    zone_id: pulumi.Input[int]
    """The bunny.net DNS zone of the domain."""
    bunny_access_key: pulumi.Input[str]
    """The bunny.net API key (secret)."""
    bunny_api_url: str
    """bunny.net's Core API URL."""
    with_mx: bool = False
    """Also publish Scaleway's MX record (for bounces to reach Scaleway)."""


class TransactionalEmail(pulumi.ComponentResource):
    """A TEM domain and the DNS records that prove it owns the domain."""

    smtp_host: pulumi.Output[str]
    """The SMTP host to send through."""
    smtp_port: int
    """A port that works from Hetzner servers."""

    def __init__(
        self,
        name: str,
        args: EmailArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("souverain:scaleway:TransactionalEmail", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        domain = scaleway.tem.Domain(
            f"{name}-domain",
            name=args.domain,
            region=args.region,
            project_id=args.project_id,
            accept_tos=True,
            opts=child,
        )

        records = {
            "spf": {"type": "TXT", "name": "", "value": domain.spf_value},
            "dkim": {
                "type": "TXT",
                "name": domain.dkim_name.apply(lambda n: relative_name(n, args.domain)),
                "value": domain.dkim_config,
            },
            "dmarc": {
                "type": "TXT",
                "name": domain.dmarc_name.apply(
                    lambda n: relative_name(n, args.domain)
                ),
                "value": domain.dmarc_config,
            },
        }
        if args.with_mx:
            records["mx"] = {
                "type": "MX",
                "name": "",
                "value": domain.mx_config,
                "priority": MX_PRIORITY,
            }
        for role, record in records.items():
            DnsRecord(
                f"{name}-{role}",
                args.zone_id,
                record,
                args.bunny_access_key,
                args.bunny_api_url,
                opts=child,
            )

        self.smtp_host = domain.smtp_host
        self.smtp_port = SUBMISSION_PORT
        self.register_outputs(
            {"smtp_host": self.smtp_host, "smtp_port": self.smtp_port}
        )
