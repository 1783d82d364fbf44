#!/usr/bin/env bash
# Build the tools the end-to-end tests need from pinned Go modules, into a cache outside
# the repository: the Pulumi CLI and our bridged hcloud provider plugin. Needs only Go
# and a Python 3 (to read go.mod's JSON).
#
#   tests/e2e/tools.sh [PYTHON]   PYTHON: a Python 3 interpreter (default: python3)
#   source "${SOUVERAIN_E2E_TOOLS:-$HOME/.cache/souverain-e2e}/env.sh"
#
# Each tool is stamped with what it was built from; a second run with the same pins and
# sources builds nothing. Every step prints its wall time, for the CI budget.
set -euo pipefail

# The Python SDK is pulumi 3.272.0, but the Go module proxy refuses pkg/v3 v3.271.0 to
# v3.273.0; v3.274.0 is the nearest release it serves, and it builds. The CLI talks to
# the SDK over gRPC, so a slightly newer CLI serves an older SDK.
PULUMI_VERSION=v3.274.0
# What pulumi_hcloud's pulumi-plugin.json asks the engine for (Python SDK 1.43.3).
HCLOUD_PLUGIN_VERSION=v1.43.3

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${SOUVERAIN_E2E_TOOLS:-$HOME/.cache/souverain-e2e}
python=${1:-python3}
bin=$cache/bin
stamps=$cache/stamps
export PULUMI_HOME=$cache/pulumi-home
export PULUMI_SKIP_UPDATE_CHECK=true

case $cache in
"$repo" | "$repo"/*)
  echo "tools.sh: SOUVERAIN_E2E_TOOLS=$cache is inside the repository" >&2
  exit 2
  ;;
esac
if ! "$python" -c 'import json' 2>/dev/null; then
  echo "tools.sh: $python is not a Python 3 interpreter; pass one" >&2
  exit 2
fi
if ! command -v go >/dev/null; then
  echo "tools.sh: go is not on PATH; install Go 1.26.6 or later (pkg/v3 needs it)" >&2
  exit 2
fi
mkdir -p "$bin" "$stamps" "$PULUMI_HOME"

# timed NAME COMMAND...: run COMMAND, then say how long NAME took.
timed() {
  local name=$1 started=$SECONDS
  shift
  "$@"
  echo "tools.sh: $name took $((SECONDS - started))s"
}

# fresh NAME WANT: true when the stamp NAME already records WANT.
fresh() {
  [[ -f $stamps/$1 && $(<"$stamps/$1") == "$2" ]]
}

# pkg/v3's go.mod replaces modules (sdk/v3 with ../sdk, among others), so `go install
# pkg/v3/cmd/pulumi@version` refuses it. Build it from a throwaway module that requires
# pkg/v3 and carries the same replacements, a relative path becoming the module that
# lives there at the same version: the monorepo tags sdk/v3 and pkg/v3 together.
build_pulumi_cli() {
  local module=$cache/build/pulumi-cli gomod
  rm -rf "$module" && mkdir -p "$module" && cd "$module"
  gomod=$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" |
    "$python" -c 'import json, sys; print(json.load(sys.stdin)["GoMod"])')

  go mod init souverain-e2e/pulumi-cli
  go mod edit -require="github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION"
  go mod edit -json "$gomod" | "$python" -c '
import json, sys
version = sys.argv[1]
for replace in json.load(sys.stdin).get("Replace") or []:
    old, new = replace["Old"]["Path"], replace["New"]
    if new["Path"].startswith("."):
        new = {"Path": old, "Version": version}
    print("-replace=%s=%s@%s" % (old, new["Path"], new["Version"]))
' "$PULUMI_VERSION" | xargs -r go mod edit

  timed "pulumi CLI $PULUMI_VERSION: go build" \
    go build -mod=mod -trimpath -o "$bin/pulumi" -ldflags "-s -w \
    -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  cd "$repo"
}

# Our bridge of Hetzner's Terraform provider (tests/e2e/hcloud-provider/main.go):
# build it, let its tfgen mode write the schema and bridge metadata beside it, and
# install that folder into PULUMI_HOME's plugin cache, where the engine looks up
# resource plugin hcloud by the version the Python SDK asks for.
build_hcloud_plugin() {
  local out=$cache/build/hcloud-plugin
  rm -rf "$out" && mkdir -p "$out"
  cd "$repo/tests/e2e/hcloud-provider"
  timed "hcloud plugin: go build" \
    go build -trimpath -ldflags "-s -w" -o "$out/pulumi-resource-hcloud" .
  cd "$repo"
  timed "hcloud plugin: tfgen" generate_hcloud_schema "$out"
  timed "hcloud plugin: install" "$bin/pulumi" plugin install resource hcloud \
    "$HCLOUD_PLUGIN_VERSION" --file "$out" --reinstall
}

# generate_hcloud_schema DIR: run the plugin's tfgen mode, its chatter kept in a log.
generate_hcloud_schema() {
  "$1/pulumi-resource-hcloud" tfgen schema --skip-docs --skip-examples --out "$1" \
    >"$cache/build/hcloud-tfgen.log"
  # tfgen also writes a Pulumi.yaml for the schema; the plugin has no use for it.
  rm -f "$1/Pulumi.yaml"
}

if fresh pulumi-cli "$PULUMI_VERSION" && [[ -x $bin/pulumi ]]; then
  echo "tools.sh: pulumi $PULUMI_VERSION is built already"
else
  timed "pulumi CLI $PULUMI_VERSION" build_pulumi_cli
  echo "$PULUMI_VERSION" >"$stamps/pulumi-cli"
fi

# Rebuild the plugin when its sources or either pin change.
hcloud_source=$(cd "$repo/tests/e2e/hcloud-provider" &&
  cat go.mod go.sum ./*.go | sha256sum | cut -d' ' -f1)
hcloud_want="$HCLOUD_PLUGIN_VERSION $PULUMI_VERSION $hcloud_source"
hcloud_dir=$PULUMI_HOME/plugins/resource-hcloud-$HCLOUD_PLUGIN_VERSION
if fresh hcloud-plugin "$hcloud_want" && [[ -x $hcloud_dir/pulumi-resource-hcloud ]]
then
  echo "tools.sh: hcloud plugin $HCLOUD_PLUGIN_VERSION is installed already"
else
  timed "hcloud plugin $HCLOUD_PLUGIN_VERSION" build_hcloud_plugin
  echo "$hcloud_want" >"$stamps/hcloud-plugin"
fi

# The shim the engine starts for Python dynamic providers is not built here: each
# test run writes its own, for its own interpreter (tests/e2e/conftest.py), so a tool
# cache shared by two checkouts never runs one checkout's providers with the other's.

cat >"$cache/env.sh" <<EOF
# Written by tests/e2e/tools.sh; source it before running the end-to-end tests.
export PATH="$bin:\$PATH"
export PULUMI_HOME="$PULUMI_HOME"
export PULUMI_SKIP_UPDATE_CHECK=true
# Fail at once when a plugin is missing, rather than try to download it.
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
EOF
echo "tools.sh: tools ready in ${SECONDS}s; source $cache/env.sh:"
cat "$cache/env.sh"
