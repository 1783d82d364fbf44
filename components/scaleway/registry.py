"""A private Scaleway container registry, and a key that may only push and pull."""

import base64
import json
from dataclasses import dataclass

import pulumi
import pulumiverse_scaleway as scaleway

# Scaleway's registry takes any user name; the password is an API key's secret.
REGISTRY_USER = "nologin"
PERMISSION_SET = "ContainerRegistryFullAccess"


def registry_host(region: str) -> str:
    """The registry's host in a region, e.g. rg.fr-par.scw.cloud."""
    return f"rg.{region}.scw.cloud"


def docker_config(host: str, secret_key: str) -> str:
    """A Docker config JSON that logs in to `host` with an API key's secret."""
    token = base64.b64encode(f"{REGISTRY_USER}:{secret_key}".encode()).decode()
    auth = {"username": REGISTRY_USER, "password": secret_key, "auth": token}
    return json.dumps({"auths": {host: auth}}, sort_keys=True)


@dataclass
class RegistryArgs:
    """Inputs of a Registry."""

    namespace: str
    """The namespace's name, unique in its region across all of Scaleway."""
    region: str
    """An EU region: fr-par, nl-ams or pl-waw."""
    project_id: str
    """The Scaleway project that holds the registry."""


class Registry(pulumi.ComponentResource):
    """A private namespace and an IAM application allowed only to use the registry."""

    endpoint: pulumi.Output[str]
    """Where images go: rg.<region>.scw.cloud/<namespace>."""
    docker_config_json: pulumi.Output[str]
    """Docker config JSON for the cluster's image pull secret (secret)."""

    def __init__(
        self,
        name: str,
        args: RegistryArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("souverain:scaleway:Registry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        namespace = scaleway.registry.Namespace(
            f"{name}-namespace",
            name=args.namespace,
            region=args.region,
            project_id=args.project_id,
            is_public=False,
            opts=child,
        )
        application = scaleway.iam.Application(
            f"{name}-pusher",
            name=f"{args.namespace}-registry",
            description="Pushes and pulls images of this project's registry only.",
            opts=child,
        )
        scaleway.iam.Policy(
            f"{name}-push-pull",
            name=f"{args.namespace}-registry-push-pull",
            application_id=application.id,
            rules=[
                scaleway.iam.PolicyRuleArgs(
                    project_ids=[args.project_id],
                    permission_set_names=[PERMISSION_SET],
                )
            ],
            opts=child,
        )
        key = scaleway.iam.ApiKey(
            f"{name}-key",
            application_id=application.id,
            default_project_id=args.project_id,
            description="Registry push and pull for souverain",
            opts=pulumi.ResourceOptions(
                parent=self, additional_secret_outputs=["secret_key"]
            ),
        )

        host = registry_host(args.region)
        self.endpoint = namespace.name.apply(lambda ns: f"{host}/{ns}")
        self.docker_config_json = pulumi.Output.secret(
            key.secret_key.apply(lambda secret: docker_config(host, secret))
        )
        self.register_outputs(
            {"endpoint": self.endpoint, "docker_config_json": self.docker_config_json}
        )
