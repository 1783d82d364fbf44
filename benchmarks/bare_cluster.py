"""The bare program's cluster: k3s secrets, admin access and the add-ons, raw.

The Helm values are rendered by the same pure functions as souverain's
(`addons_values.template_settings` and `render_values`, from helm-values/*.j2) and the
Secrets and Namespaces come from the same manifest dicts (`addons_manifests`), since
the bare program must send the same inputs and writing them out again would only copy
them. Every resource is declared here, flat, without a component.
"""

from typing import Any

import pulumi
import pulumi_hcloud as hcloud
import pulumi_kubernetes as k8s
import pulumi_random as random
import pulumi_tls as tls
from pulumi_kubernetes.helm.v3 import Release, RepositoryOptsArgs

from components.kubernetes import addons_manifests as manifests
from components.kubernetes import addons_values as charts
from components.kubernetes.cluster import admin_kubeconfig
from components.kubernetes.cluster_ready import ClusterReady, RancherReady


def declare_bare_cluster(
    startup: str,
    location: str,
    control_plane: list[str],
    servers: list[str],
    backups: Any,
    protection: dict[str, bool],
) -> tuple[dict[str, Any], dict[str, Any], tuple[Any, ...]]:
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
        if role == "server-ca":
            server_ca = cert.cert_pem
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
            **protection,
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
    return user_data, ids, (api_address, server_ca, *client_ca)


def declare_bare_admin(
    startup: str, api_address: Any, server_ca: Any, ca_pem: Any, ca_key: Any
) -> tuple[Any, Any]:
    """The admin certificate and the two cluster exports; the kubeconfig and URL."""
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
    kubeconfig = pulumi.Output.secret(
        pulumi.Output.all(url, server_ca, cert.cert_pem, key.private_key_pem).apply(
            lambda parts: admin_kubeconfig(startup, *parts)
        )
    )
    pulumi.export("kubeconfig", kubeconfig)
    pulumi.export("kubeApiUrl", url)
    return kubeconfig, url


def declare_bare_addons(
    settings: dict[str, Any],
    kubeconfig: Any,
    api_url: Any,
    control_plane: list[hcloud.Server],
    network_id: Any,
    registry_config: Any,
) -> tuple[k8s.Provider, list[Release], Any]:
    """The API wait, the provider, the five charts, Rancher's passwords and the app
    namespaces; the provider, the releases the tools wait for, and pulumi-rancher2
    logged in as admin when Rancher is bootstrapped (else None)."""
    startup = settings["startupName"]
    domain = settings["domain"]
    chart_settings = charts.template_settings(
        domain=domain,
        startup_name=startup,
        location=settings.get("location", "fsn1"),
        network_cidr=settings.get("networkCidr", "10.0.0.0/16"),
        cluster_cidr=charts.DEFAULT_CLUSTER_CIDR,
        rancher_replicas=settings.get("rancherReplicas", 1),
        letsencrypt_email=settings.get("letsencryptEmail") or f"admin@{domain}",
        ingress_node_selector={"souverain.eu/ingress": "true"},
    )
    ready = ClusterReady(
        f"{startup}-api-ready",
        api_url=api_url,
        kubeconfig=kubeconfig,
        opts=pulumi.ResourceOptions(depends_on=control_plane),
    )
    provider = k8s.Provider(
        f"{startup}-kubernetes",
        kubeconfig=pulumi.Output.secret(
            pulumi.Output.all(ready.id, kubeconfig).apply(lambda parts: parts[1])
        ),
        cluster_identifier=f"{startup}-k3s",
        opts=pulumi.ResourceOptions(depends_on=[ready]),
    )

    def secret(name: str, manifest: dict, after: list) -> k8s.core.v1.Secret:
        return k8s.core.v1.Secret(
            name,
            metadata=manifest["metadata"],
            type=manifest["type"],
            string_data=pulumi.Output.secret(manifest["stringData"]),
            opts=pulumi.ResourceOptions(provider=provider, depends_on=after),
        )

    def release(key: str, chart: charts.Chart, after: list, values=None) -> Release:
        return Release(
            f"{startup}-{key}",
            name=chart.chart,
            chart=chart.chart,
            version=chart.version,
            repository_opts=RepositoryOptsArgs(repo=chart.repo),
            namespace=chart.namespace,
            create_namespace=chart.namespace != "kube-system",
            values=values or charts.render_values(chart, chart_settings),
            skip_await=False,
            wait_for_jobs=True,
            timeout=chart.timeout_seconds,
            opts=pulumi.ResourceOptions(provider=provider, depends_on=after),
        )

    token = pulumi.Output.secret("[secret]")
    hcloud_secret = secret(
        f"{startup}-hcloud-secret",
        manifests.hcloud_secret(token, network_id.apply(str)),
        [ready],
    )
    ccm = release("hcloud-ccm", charts.CCM, [ready, hcloud_secret])
    csi = release("hcloud-csi", charts.CSI, [ready, ccm])
    cert_manager = release("cert-manager", charts.CERT_MANAGER, [ready, ccm])
    traefik = release("traefik", charts.TRAEFIK, [ready, csi, cert_manager])
    password = random.RandomPassword(
        f"{startup}-rancher-bootstrap-password", length=32, special=False
    )
    values = charts.with_secret(
        charts.render_values(charts.RANCHER, chart_settings),
        ("bootstrapPassword",),
        password.result,
    )
    rancher = release("rancher", charts.RANCHER, [ready, traefik, cert_manager], values)

    for namespace_name in settings.get("appNamespaces") or [startup]:
        namespace = k8s.core.v1.Namespace(
            f"{startup}-namespace-{namespace_name}",
            metadata=manifests.namespace(namespace_name)["metadata"],
            opts=pulumi.ResourceOptions(provider=provider, depends_on=[ready]),
        )
        if registry_config is not None:
            secret(
                f"{startup}-registry-pull-{namespace_name}",
                manifests.pull_secret(
                    namespace_name, pulumi.Output.secret(registry_config)
                ),
                [namespace],
            )

    url = f"https://{charts.rancher_hostname(domain)}"
    pulumi.export("rancherUrl", url)
    pulumi.export("rancherBootstrapPassword", pulumi.Output.secret(password.result))
    rancher_api = None
    if settings.get("rancherBootstrap"):
        rancher_api = declare_bare_rancher_admin(startup, url, password, rancher)
    return provider, [csi, cert_manager, traefik], rancher_api


def declare_bare_rancher_admin(
    startup: str, url: str, bootstrap_password: Any, rancher: Release
) -> Any:
    """Rancher's wait, its bootstrap provider and the generated admin password; a
    provider logged in with the bootstrap's admin token."""
    import pulumi_rancher2 as rancher2

    ready = RancherReady(
        f"{startup}-rancher-ready",
        url=url,
        opts=pulumi.ResourceOptions(depends_on=[rancher]),
    )
    api = rancher2.Provider(f"{startup}-rancher-bootstrap", api_url=url, bootstrap=True)
    admin = random.RandomPassword(
        f"{startup}-rancher-admin-password", length=32, special=False
    )
    bootstrap = rancher2.Bootstrap(
        f"{startup}-rancher-admin",
        initial_password=bootstrap_password.result,
        password=admin.result,
        opts=pulumi.ResourceOptions(provider=api, depends_on=[ready]),
    )
    pulumi.export("rancherAdminPassword", pulumi.Output.secret(admin.result))
    return rancher2.Provider(
        f"{startup}-rancher-api", api_url=bootstrap.url, token_key=bootstrap.token
    )
