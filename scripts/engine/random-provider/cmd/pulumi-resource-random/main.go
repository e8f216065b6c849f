// Command pulumi-resource-random is the resource plugin the engine runs for @pulumi/random.
package main

import (
	"context"
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"blacklake.local/wrap/pulumi-resource-random/random"
)

// Both files are written by pulumi-tfgen-random (tools.sh).
var (
	//go:embed schema.json
	schema []byte
	//go:embed bridge-metadata.json
	bridgeMetadata []byte
)

func main() {
	tfbridge.Main(context.Background(), "random", random.Provider(),
		tfbridge.ProviderMetadata{PackageSchema: schema, BridgeMetadata: bridgeMetadata})
}
