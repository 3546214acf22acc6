//go:build tools

// Package tools pins the real Pulumi CLI so `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` resolves in this module.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
