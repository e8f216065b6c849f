// Command pulumi-tfgen-random writes the Pulumi schema and bridge metadata of the mapping.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"blacklake.local/wrap/pulumi-resource-random/random"
)

func main() { tfgen.Main("random", random.Provider()) }
