// Command pulumi-resource-hcloud stands in for pulumi-hcloud's provider plugin in the
// end-to-end tests, built from public Go modules by tests/e2e/tools.sh.
//
// pulumi-hcloud's own provider module is not on the Go module proxy, so this program
// bridges Hetzner's Terraform provider the way pulumi-hcloud does: one package named
// "hcloud" whose tokens are derived from the Terraform names (hcloud_server becomes
// hcloud:index/server:Server), so the Python SDK in the venv talks to it unchanged.
//
// The Terraform provider is two providers behind one mux (plugin SDK v2 and plugin
// framework). To serve both, the bridge needs the Pulumi schema and a table of which
// half owns each resource; its generator computes both from the provider. So the
// binary has two modes:
//
//	pulumi-resource-hcloud tfgen schema --skip-docs --skip-examples --out DIR
//
// writes schema.json and bridge-metadata.json into DIR, which must be the directory
// the binary is installed in; started any other way (as the engine starts it), the
// binary serves the provider and reads those two files from beside itself.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hetznercloud/terraform-provider-hcloud/hcloud"
	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
)

const (
	packageName = "hcloud"
	// The version in pulumi-hcloud's pulumi-plugin.json (Python SDK 1.43.3): the engine
	// asks for exactly this version, so it must find ours installed and never download.
	pluginVersion = "1.43.3"
	schemaFile    = "schema.json"
	metadataFile  = "bridge-metadata.json"
	// Autonamed resources get a random suffix after this separator, within the API's
	// 255-character names, as pulumi-hcloud names them.
	maxNameLength = 255
	nameSeparator = "-"
)

func main() {
	ctx := context.Background()

	if len(os.Args) > 1 && os.Args[1] == "tfgen" {
		// The generator parses the command line itself: hand it what follows "tfgen".
		os.Args = append(os.Args[:1], os.Args[2:]...)
		pftfgen.MainWithMuxer(packageName, providerInfo(ctx, nil))
		return
	}

	schema, metadata, err := readGenerated()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-hcloud: %v\n", err)
		os.Exit(1)
	}
	pfbridge.MainWithMuxer(ctx, packageName, providerInfo(ctx, metadata), schema)
}

// readGenerated returns the schema and bridge metadata written by the tfgen mode.
func readGenerated() (schema, metadata []byte, err error) {
	executable, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	dir := filepath.Dir(executable)

	if schema, err = os.ReadFile(filepath.Join(dir, schemaFile)); err != nil {
		return nil, nil, fmt.Errorf("%w: run the tfgen mode first (tests/e2e/tools.sh)", err)
	}
	if metadata, err = os.ReadFile(filepath.Join(dir, metadataFile)); err != nil {
		return nil, nil, fmt.Errorf("%w: run the tfgen mode first (tests/e2e/tools.sh)", err)
	}
	return schema, metadata, nil
}

// providerInfo maps the Terraform provider to Pulumi; metadata is nil when generating.
func providerInfo(ctx context.Context, metadata []byte) tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P: pfbridge.MuxShimWithPF(
			ctx, shimv2.NewProvider(hcloud.Provider()), hcloud.NewPluginProvider(),
		),
		Name:         packageName,
		Version:      pluginVersion,
		GitHubOrg:    "hetznercloud",
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		Resources:    map[string]*tfbridge.ResourceInfo{},
	}

	// A Pulumi id is a string; some plugin-framework resources (hcloud_zone,
	// hcloud_primary_ip) keep theirs as a number, which the bridge converts when told.
	info.P.ResourcesMap().Range(func(name string, resource shim.Resource) bool {
		id, ok := resource.Schema().GetOk("id")
		if ok && id.Type() != shim.TypeString {
			info.Resources[name] = &tfbridge.ResourceInfo{
				Fields: map[string]*tfbridge.SchemaInfo{"id": {Type: "string"}},
			}
		}
		return true
	})

	info.MustComputeTokens(
		tokens.SingleModule("hcloud_", "index", tokens.MakeStandard(packageName)),
	)
	info.SetAutonaming(maxNameLength, nameSeparator)
	return info
}
