// Package shim hands the Terraform random provider to the bridge. The provider lives in
// an internal package, which Go lets only code under the same module path import: this
// module's path, github.com/terraform-providers/terraform-provider-random/shim, is such
// a place (tools.sh writes its go.mod).
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	tfrandom "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// New returns the Terraform plugin-framework provider of random_* resources.
func New() provider.Provider { return tfrandom.New() }
