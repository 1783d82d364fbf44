"""The Kubernetes objects every tool shares the shape of, as dicts.

A tool's database (a CloudNativePG Cluster, its ObjectStore in the backups bucket
and its ScheduledBackup), its Service, its Ingress with a Let's Encrypt certificate,
and the ClusterIssuer they all use. The component declares each dict; tests validate
the built-in kinds against the Kubernetes API schemas. Secret values may be Pulumi
Outputs; everything else is plain.
"""

from collections.abc import Mapping
from typing import Any

from components.kubernetes.addons_values import INGRESS_CLASS
from components.kubernetes.apps_catalog import DATABASE_REQUESTS, POSTGRES_IMAGE

CLUSTER_ISSUER = "letsencrypt"
"""The ClusterIssuer every tool's certificate comes from."""
# Let's Encrypt's production directory (letsencrypt.org/docs/acme-protocol-updates).
ACME_SERVER = "https://acme-v02.api.letsencrypt.org/directory"
BARMAN_PLUGIN = "barman-cloud.cloudnative-pg.io"
"""The Barman Cloud plugin's name, as Clusters and ScheduledBackups refer to it."""
# Every night at 03:00 UTC; CloudNativePG's schedule has a seconds field first.
BACKUP_SCHEDULE = "0 0 3 * * *"
MANAGED = {"app.kubernetes.io/managed-by": "pulumi"}


def cluster_issuer(email: str) -> dict[str, Any]:
    """Let's Encrypt for every tool, answering HTTP-01 through Traefik."""
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "ClusterIssuer",
        "metadata": {"name": CLUSTER_ISSUER, "labels": MANAGED},
        "spec": {
            "acme": {
                "email": email,
                "server": ACME_SERVER,
                "privateKeySecretRef": {"name": f"{CLUSTER_ISSUER}-account"},
                "solvers": [
                    {"http01": {"ingress": {"ingressClassName": INGRESS_CLASS}}}
                ],
            }
        },
    }


def database_name(tool: str) -> str:
    """The tool's CloudNativePG Cluster; its read-write Service is <name>-rw."""
    return f"{tool}-db"


def database_host(tool: str) -> str:
    """The read-write Service of the tool's Postgres, inside its namespace."""
    return f"{database_name(tool)}-rw"


def secret(
    namespace: str,
    name: str,
    data: Any,
    secret_type: str = "Opaque",
) -> dict[str, Any]:
    """A Secret; `data` is a map, or a Pulumi Output of one, and stays a Pulumi
    secret when the component declares it."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "labels": MANAGED},
        "type": secret_type,
        "stringData": data,
    }


def database_credentials(tool: str, password: Any) -> dict[str, Any]:
    """The owner of the tool's database: CloudNativePG creates it with this
    password, so Pulumi, not the operator, makes the secret."""
    return secret(
        tool,
        f"{database_name(tool)}-owner",
        {"username": tool, "password": password},
        "kubernetes.io/basic-auth",
    )


def backup_folder(tool: str) -> str:
    """The tool's folder in the backups bucket, beside etcd-snapshots/."""
    return f"postgres/{tool}"


def object_store(
    tool: str,
    destination: Any,
    endpoint: str,
    s3_secret: str,
    retention_days: int,
) -> dict[str, Any]:
    """Where the tool's base backups and WAL go, `destination` being
    s3://<backups bucket>/postgres/<tool>, kept `retention_days` days."""
    key = {"name": s3_secret}
    return {
        "apiVersion": "barmancloud.cnpg.io/v1",
        "kind": "ObjectStore",
        "metadata": {"name": f"{tool}-backups", "namespace": tool, "labels": MANAGED},
        "spec": {
            "retentionPolicy": f"{retention_days}d",
            "configuration": {
                "destinationPath": destination,
                "endpointURL": endpoint,
                "s3Credentials": {
                    "accessKeyId": {**key, "key": "ACCESS_KEY_ID"},
                    "secretAccessKey": {**key, "key": "ACCESS_SECRET_KEY"},
                },
                "wal": {"compression": "gzip"},
                "data": {"compression": "gzip"},
            },
        },
    }


def database_cluster(
    tool: str, storage_gib: int, node_selector: Mapping[str, str]
) -> dict[str, Any]:
    """One Postgres instance for the tool, archiving its WAL through the plugin."""
    return {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": database_name(tool), "namespace": tool, "labels": MANAGED},
        "spec": {
            "instances": 1,
            "imageName": POSTGRES_IMAGE,
            "bootstrap": {
                "initdb": {
                    "database": tool,
                    "owner": tool,
                    "secret": {"name": f"{database_name(tool)}-owner"},
                }
            },
            "storage": {"size": f"{storage_gib}Gi"},
            "resources": requests(
                DATABASE_REQUESTS.cpu_millicores, DATABASE_REQUESTS.memory_mib
            ),
            "affinity": {"nodeSelector": dict(node_selector)},
            "plugins": [
                {
                    "name": BARMAN_PLUGIN,
                    "isWALArchiver": True,
                    "parameters": {"barmanObjectName": f"{tool}-backups"},
                }
            ],
        },
    }


def scheduled_backup(tool: str) -> dict[str, Any]:
    """A nightly base backup of the tool's Postgres, and one at once."""
    return {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "ScheduledBackup",
        "metadata": {"name": f"{tool}-nightly", "namespace": tool, "labels": MANAGED},
        "spec": {
            "schedule": BACKUP_SCHEDULE,
            "immediate": True,
            "backupOwnerReference": "self",
            "cluster": {"name": database_name(tool)},
            "method": "plugin",
            "pluginConfiguration": {"name": BARMAN_PLUGIN},
        },
    }


def requests(cpu_millicores: int, memory_mib: int) -> dict[str, Any]:
    """A container's resources: requests, and a memory limit at twice them.

    The capacity check adds up the requests. The limit stops one leaking tool
    from starving its neighbours; CPU is left unlimited, as throttling a
    web server hurts more than sharing spare cores.
    """
    return {
        "requests": {"cpu": f"{cpu_millicores}m", "memory": f"{memory_mib}Mi"},
        "limits": {"memory": f"{memory_mib * 2}Mi"},
    }


def service(tool: str, name: str, port: int) -> dict[str, Any]:
    """A ClusterIP Service in front of the pods labelled app=<name>."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": tool, "labels": MANAGED},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app": name},
            "ports": [{"name": "http", "port": port, "targetPort": port}],
        },
    }


def ingress(tool: str, host: str, service_name: str, port: int) -> dict[str, Any]:
    """<tool>.<domain> over HTTPS through Traefik, its certificate from Let's
    Encrypt; cert-manager keeps it in the Secret <tool>-tls."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": tool,
            "namespace": tool,
            "labels": MANAGED,
            "annotations": {
                "cert-manager.io/cluster-issuer": CLUSTER_ISSUER,
                "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
            },
        },
        "spec": {
            "ingressClassName": INGRESS_CLASS,
            "tls": [{"hosts": [host], "secretName": f"{tool}-tls"}],
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {
                                    "service": {
                                        "name": service_name,
                                        "port": {"number": port},
                                    }
                                },
                            }
                        ]
                    },
                }
            ],
        },
    }
