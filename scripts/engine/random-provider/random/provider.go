// Package random maps the Terraform random provider onto the Pulumi package "random",
// with the tokens @pulumi/random uses (random:index/randomPassword:RandomPassword, ...).
package random

import (
	"context"
	_ "embed"
	"fmt"

	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/terraform-providers/terraform-provider-random/shim"
)

// Written by pulumi-tfgen-random; tools.sh embeds a placeholder for tfgen's own build.
//
//go:embed bridge-metadata.json
var bridgeMetadata []byte

// Version is what the plugin reports; tools.sh sets it to the @pulumi/random release.
var Version = "0.0.0-dev"

// Provider describes the mapping for both tfgen (schema) and the provider binary.
func Provider() tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:            pfbridge.ShimProvider(shim.New()),
		Name:         "random",
		Version:      Version,
		MetadataInfo: tfbridge.NewProviderMetadata(bridgeMetadata),
		Resources: map[string]*tfbridge.ResourceInfo{
			// random_bytes has no id attribute: its value serves, as upstream does.
			"random_bytes": {ComputeID: idFromBase64},
		},
		JavaScript:                  &tfbridge.JavaScriptInfo{RespectSchemaVersion: true},
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}
	// random_password -> random:index/randomPassword:RandomPassword, like @pulumi/random.
	info.MustComputeTokens(tokens.SingleModule("random_", "index", func(module, name string) (string, error) {
		return tokens.MakeStandard("random")(module, "Random"+name)
	}))
	info.MustApplyAutoAliases()
	return info
}

func idFromBase64(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
	value, ok := state["base64"]
	if !ok {
		return "", fmt.Errorf("random_bytes: the state has no base64 attribute")
	}
	if value.IsSecret() {
		value = value.SecretValue().Element
	}
	if !value.IsString() {
		return "", fmt.Errorf("random_bytes: base64 is %v, not a string", value.TypeString())
	}
	return resource.ID(value.StringValue()), nil
}
