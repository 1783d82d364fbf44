"""`souverain new`: a forked stack plans, a rerun harms nothing, bad input is named."""

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from components.config import SECRET_SETTINGS
from souverain import forking
from souverain.cli import app
from souverain.console import EXIT_USER_ERROR
from souverain.plan import plan_stack
from tests.conftest import ADMIN_KEY
from tests.souverain.test_cli import DEV
from tests.souverain.test_plan import SERVER, make_project

# An RSA key, the type ssh-keygen made before ed25519 was its default.
RSA_KEY = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQC1wSJEsONk4/yTqsB9NBB6P21U+76gJf"
    "ED6rgOwTvns2LmgO+i6d/8YbR37HY07BZ7jK2VPVuXfs8l7MaZAYJ37iznBVFkbti6y+fE"
    "i5YOR6WcfB3W3lYJnerxC8lW5p/zYnstSoBmTgSvUJjjW4kz9nydwfl4o7+1Fzd0KHmIRx"
    "rT7EByZBF7gMWfsCNSC7tF73o/9xXmBiSBd6cqOe/W7jSCvQ9Vu6nwlD9gaoz9kJgdH15W"
    "p7r/LLWfSqQ1RYBlSqgGuxy9cuwpwEoqWgaJt/gFY9y0vqspnhbmHWaJGP2Z00iWVOsgAv"
    "kPXkvmm9ECPd8UWMMB6iZVo8X0w2qufJnaNqFELhY0zbRyMn/M5UeWdharj+7KlR2DJZbB"
    "y75zdu+kTXGZjTEGEaB0S8cDMs9M1FVxabr383F/FMOmFd1d6VkJjmZRdBHuneYcpawz80"
    "FBwgLC42v0wInxXgv/+HzjYySmRlBzSHB7XcFUeIBuDqyslTJ9Fzzl/n1IK8U= dev@acm"
    "e.eu"
)

runner = CliRunner()
PROJECT_ID = "6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project with only the dev stack, a public key file beside it."""
    (tmp_path / "id_ed25519.pub").write_text(ADMIN_KEY + "\n")
    (tmp_path / "checkout").mkdir()
    return make_project(tmp_path / "checkout", "dev", DEV)


def new(project: Path, *args: str, key: str | None = "default"):
    """Run `souverain new` on `project`, with the fixture's key unless told not to."""
    key_args = []
    if key == "default":
        key_args = ["--ssh-key", str(project.parent / "id_ed25519.pub")]
    elif key is not None:
        key_args = ["--ssh-key", key]
    return runner.invoke(
        app, ["new", *args, *key_args, "--project-dir", str(project)], env={}
    )


def secret_lines(output: str) -> list[str]:
    """The printed commands that set a credential, without their indentation."""
    return [
        line.strip()
        for line in output.splitlines()
        if line.strip().startswith("pulumi config set --secret")
    ]


def test_forked_prod_stack_plans_five_servers_and_lists_the_secrets_to_set(project):
    result = new(project, "acme", "--domain", "acme.eu", "--from", "prod")

    assert result.exit_code == 0, result.output
    plan = plan_stack("acme", project)
    assert [s.name for s in plan.of_type(SERVER)] == [
        "acme-control-plane-1",
        "acme-control-plane-2",
        "acme-control-plane-3",
        "acme-workers-1",
        "acme-workers-2",
    ]
    # Like prod, it runs the five self-hosted tools.
    assert len(plan.of_type("kubernetes:networking.k8s.io/v1:Ingress")) == 5
    assert result.stdout.startswith(
        "Wrote stacks/Pulumi.acme.yaml from the prod template: startup acme, domain "
        "acme.eu, location fsn1. It passes the checks `souverain plan` makes.\n"
    )
    sources = forking.CREDENTIAL_SOURCES
    assert secret_lines(result.stdout) == [
        "pulumi config set --secret hcloud:token --stack acme  # "
        f"{sources['hcloud:token']}",
        "pulumi config set --secret souverain:s3AccessKey --stack acme  # Hetzner "
        "Console > Security > S3 credentials",
        "pulumi config set --secret souverain:s3SecretKey --stack acme  # Hetzner "
        "Console > Security > S3 credentials",
        "pulumi config set --secret souverain:bunnyAccessKey --stack acme  # bunny.net "
        "dashboard > Account settings > API key",
        "pulumi config set --secret souverain:hcloudClusterToken --stack acme  # "
        f"{sources['hcloudClusterToken']}",
        # Registry and e-mail are off without a Scaleway project: their keys come
        # with the optional step that switches them on.
        "pulumi config set --secret souverain:scalewayAccessKey --stack acme  # "
        "Scaleway console > IAM > API keys",
        "pulumi config set --secret souverain:scalewaySecretKey --stack acme  # "
        "Scaleway console > IAM > API keys",
    ]
    assert "       .venv/bin/souverain plan --stack acme\n" in result.stdout
    assert "       pulumi stack init acme --secrets-provider passphrase\n" in (
        result.stdout
    )
    assert result.stdout.endswith("  7. Deploy:\n       pulumi up --stack acme\n")
    assert result.stderr == ""


def test_running_again_is_refused_and_leaves_the_file_byte_identical(project):
    assert new(project, "acme", "--domain", "acme.eu", "--from", "prod").exit_code == 0
    written = (project / "stacks" / "Pulumi.acme.yaml").read_bytes()

    again = new(project, "acme", "--domain", "other.eu", "--from", "dev")

    assert again.exit_code == EXIT_USER_ERROR
    assert again.stderr == (
        "error: stacks/Pulumi.acme.yaml already exists, so nothing was written: choose "
        "another stack name, or edit that file and check it with `souverain plan "
        "--stack acme`\n"
    )
    assert again.stdout == ""
    assert (project / "stacks" / "Pulumi.acme.yaml").read_bytes() == written


def test_the_same_request_writes_the_same_bytes(tmp_path):
    files = []
    for copy in ("one", "two"):
        (tmp_path / copy / "checkout").mkdir(parents=True)
        (tmp_path / copy / "id_ed25519.pub").write_text(ADMIN_KEY + "\n")
        checkout = make_project(tmp_path / copy / "checkout", "dev", DEV)
        assert new(checkout, "acme", "--domain", "acme.eu").exit_code == 0
        files.append((checkout / "stacks" / "Pulumi.acme.yaml").read_bytes())

    assert files[0] == files[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["acme/prod", "--domain", "acme.eu"],
            "stack name 'acme/prod' is not usable: use 1 to 100 letters, digits, '-', "
            "'_' and '.', e.g. acme",
        ),
        (
            ["Acme_Prod", "--domain", "acme.eu"],
            "stack name 'Acme_Prod' cannot be the startup name, which prefixes every "
            "resource: pass --startup-name with 3 to 30 lowercase letters, digits and "
            "single dashes, starting with a letter (e.g. --startup-name acme)",
        ),
        (
            ["acme", "--domain", "acme.eu", "--startup-name", "-acme"],
            "--startup-name '-acme' is not a usable name: use 3 to 30 lowercase "
            "letters, digits and single dashes, starting with a letter (e.g. acme)",
        ),
        (
            ["acme", "--domain", "https://acme.eu/"],
            "--domain 'https://acme.eu/' is not a domain name: use a lowercase name "
            "such as acme.eu, without scheme, path or trailing dot (internationalised "
            "names in their xn-- form)",
        ),
        (
            ["acme", "--domain", "acme.eu", "--location", "ash"],
            "--location 'ash' is outside the EU: use fsn1, hel1 or nbg1",
        ),
        (
            ["acme", "--domain", "acme.eu", "--from", "staging"],
            "--from 'staging' is not a template: use dev or prod",
        ),
        (
            ["acme", "--domain", "acme.eu", "--admin-cidr", "198.51.100.7"],
            "--admin-cidr '198.51.100.7' has no prefix length: write 198.51.100.7/32",
        ),
        (
            ["acme", "--domain", "acme.eu", "--scaleway-project-id", PROJECT_ID],
            "--scaleway-project-id is for --from prod (dev has no registry or e-mail): "
            "leave it out",
        ),
    ],
)
def test_bad_input_is_refused_with_the_flag_the_value_and_the_fix(
    project, args, message
):
    result = new(project, *args)

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr == f"error: {message}\n"
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert sorted(p.name for p in (project / "stacks").iterdir()) == ["Pulumi.dev.yaml"]


def test_every_problem_is_listed_at_once(project):
    result = new(project, "acme", "--domain", "ACME.eu", "--location", "ash")

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr.startswith(
        "error: 2 problems with the options, so nothing was written:\n"
        "  - --domain 'ACME.eu' is not a domain name"
    )
    assert "  - --location 'ash' is outside the EU: use fsn1, hel1 or nbg1\n" in (
        result.stderr
    )


def test_without_any_ssh_key_one_is_made_for_the_stack(project, monkeypatch):
    home = project.parent / "empty-home"
    monkeypatch.setenv("HOME", str(home))

    result = new(project, "acme", "--domain", "acme.eu", key=None)

    assert result.exit_code == 0, result.output
    private = home / ".ssh" / "souverain-acme"
    public = (home / ".ssh" / "souverain-acme.pub").read_text()
    assert public.startswith("ssh-ed25519 ") and public.endswith(" souverain-acme\n")
    assert private.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    assert private.stat().st_mode & 0o777 == 0o600
    assert (home / ".ssh").stat().st_mode & 0o777 == 0o700
    stack = yaml.safe_load((project / "stacks" / "Pulumi.acme.yaml").read_text())
    assert stack["config"]["souverain:sshPublicKeys"] == {"admin": public.strip()}
    assert result.stdout.endswith(
        "Made a new SSH key for the servers, since ~/.ssh held none of the usual "
        f"ones: {private} (no passphrase; add one with `ssh-keygen -p -f {private}`). "
        f"Reach a server with `ssh -i {private} root@<address>`.\n"
    )
    assert "PRIVATE KEY" not in result.output


def test_the_stack_key_made_before_is_reused_not_replaced(project, monkeypatch):
    home = project.parent / "empty-home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "souverain-acme").write_text("the old private key\n")
    (home / ".ssh" / "souverain-acme.pub").write_text(ADMIN_KEY + "\n")
    monkeypatch.setenv("HOME", str(home))

    result = new(project, "acme", "--domain", "acme.eu", key=None)

    assert result.exit_code == 0, result.output
    assert (home / ".ssh" / "souverain-acme").read_text() == "the old private key\n"
    stack = yaml.safe_load((project / "stacks" / "Pulumi.acme.yaml").read_text())
    assert stack["config"]["souverain:sshPublicKeys"] == {"admin": ADMIN_KEY}
    assert "Reused the SSH key for the servers" in result.stdout


def test_no_key_is_made_when_the_stack_is_refused(project, monkeypatch):
    home = project.parent / "empty-home"
    monkeypatch.setenv("HOME", str(home))

    result = new(project, "acme", "--domain", "ACME.eu", key=None)

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr.startswith("error: --domain 'ACME.eu' is not a domain name: ")
    assert not (home / ".ssh").exists()


def test_the_default_ssh_key_is_read_from_home(project, monkeypatch):
    home = project.parent / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519.pub").write_text(ADMIN_KEY + "\n")
    monkeypatch.setenv("HOME", str(home))

    result = new(project, "acme", "--domain", "acme.eu", key=None)

    assert result.exit_code == 0, result.output
    stack = yaml.safe_load((project / "stacks" / "Pulumi.acme.yaml").read_text())
    assert stack["config"]["souverain:sshPublicKeys"] == {"admin": ADMIN_KEY}


def test_without_an_ed25519_key_the_rsa_key_is_taken(project, monkeypatch):
    home = project.parent / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa.pub").write_text(RSA_KEY + "\n")
    monkeypatch.setenv("HOME", str(home))

    result = new(project, "acme", "--domain", "acme.eu", key=None)

    assert result.exit_code == 0, result.output
    stack = yaml.safe_load((project / "stacks" / "Pulumi.acme.yaml").read_text())
    assert stack["config"]["souverain:sshPublicKeys"] == {"admin": RSA_KEY}


def test_a_private_key_is_refused_without_echoing_it(project):
    private = project.parent / "id_ed25519"
    private.write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n"
        "-----END OPENSSH PRIVATE KEY-----\n"
    )

    result = new(project, "acme", "--domain", "acme.eu", key=str(private))

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr == (
        f"error: --ssh-key {private} is a private key, which must never leave your "
        "machine: pass its public half, id_ed25519.pub\n"
    )
    assert "c2VjcmV0" not in result.output


def test_no_command_carries_a_credential_value(project):
    result = new(
        project,
        *("acme", "--domain", "acme.eu", "--from", "prod"),
        *("--scaleway-project-id", PROJECT_ID),
    )

    assert result.exit_code == 0, result.output
    # Each command leaves the value out, so Pulumi asks for it without echoing.
    command = re.compile(r"^pulumi config set --secret [\w:]+ --stack acme  # .+$")
    lines = secret_lines(result.stdout)
    assert len(lines) == 7
    assert all(command.match(line) for line in lines), lines
    assert "Optionally, switch on Scaleway" not in result.stdout
    stack = (project / "stacks" / "Pulumi.acme.yaml").read_text()
    assert "secure:" not in stack
    assert f"souverain:scalewayProjectId: {PROJECT_ID}\n" in stack


def test_admin_ranges_open_ssh_and_the_api_in_the_form_hetzner_stores(project):
    result = new(
        project,
        *("acme", "--domain", "acme.eu"),
        *("--admin-cidr", "198.51.100.7/32", "--admin-cidr", "2001:DB8:0::/48"),
    )

    assert result.exit_code == 0, result.output
    config = yaml.safe_load((project / "stacks" / "Pulumi.acme.yaml").read_text())
    ranges = ["198.51.100.7/32", "2001:db8::/48"]
    assert config["config"]["souverain:allowedSshCidrs"] == ranges
    assert config["config"]["souverain:allowedKubeApiCidrs"] == ranges
    assert "Name the ranges" not in result.stdout


def test_without_admin_ranges_nobody_can_reach_ssh_or_the_api(project):
    result = new(project, "acme", "--domain", "acme.eu")

    assert result.exit_code == 0, result.output
    config = yaml.safe_load((project / "stacks" / "Pulumi.acme.yaml").read_text())
    assert config["config"]["souverain:allowedSshCidrs"] == []
    assert config["config"]["souverain:allowedKubeApiCidrs"] == ["192.0.2.0/24"]
    assert (
        "pulumi config set --path 'souverain:allowedKubeApiCidrs[0]' <cidr> --stack "
        "acme\n" in result.stdout
    )


def test_a_key_comment_that_looks_like_yaml_cannot_break_the_file(project):
    odd = ADMIN_KEY.rsplit(" ", 1)[0] + " me@host: #not-a-comment"
    (project.parent / "odd.pub").write_text(odd + "\n")

    result = new(
        project, "acme", "--domain", "acme.eu", key=str(project.parent / "odd.pub")
    )

    assert result.exit_code == 0, result.output
    config = yaml.safe_load((project / "stacks" / "Pulumi.acme.yaml").read_text())
    assert config["config"]["souverain:sshPublicKeys"] == {"admin": odd}


def test_yaml_scalar_quotes_only_what_yaml_would_misread():
    assert forking.yaml_scalar("acme.eu") == "acme.eu"
    assert forking.yaml_scalar("off") == "'off'"
    assert forking.yaml_scalar("a: b") == "'a: b'"
    for odd in ["yes", "0 */6 * * *", "- x", "#x", "[a]", "{a: b}", "*x", "'q'"]:
        assert yaml.safe_load(f"k: {forking.yaml_scalar(odd)}") == {"k": odd}


def test_options_the_checks_refuse_together_write_nothing(project):
    # Each option is fine alone; a 3-letter startup cannot name a registry namespace.
    result = new(
        project,
        *("abc", "--domain", "abc.eu", "--from", "prod"),
        *("--scaleway-project-id", PROJECT_ID),
    )

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr == (
        "error: the stacks/Pulumi.abc.yaml these options make would fail the stack "
        "checks, so nothing was written:\n  - registryNamespace is required: the "
        "startup name 'abc' is shorter than the 4 characters a registry namespace "
        "needs; set registryNamespace\n"
    )
    assert not (project / "stacks" / "Pulumi.abc.yaml").exists()


def test_every_credential_says_where_it_is_made():
    credentials = {key for keys in SECRET_SETTINGS.values() for key in keys}

    assert set(forking.CREDENTIAL_SOURCES) == credentials | {"hcloud:token"}
