package blueprintcheck

import (
	"errors"
	"os"
	"path/filepath"
)

// ProviderSchemaFile is the provider schema the offline `terraform validate` stand-in reads, relative to
// the repository root.
const ProviderSchemaFile = "internal/blueprintcheck/testdata/provider-schema.json"

// Check is one security check of the suite and what it found.
type Check struct {
	// Rule is the name `stacks lint` reports the problems under ("security-iam", ...).
	Rule     string
	Problems []Problem
}

// Suite runs every security check over a blueprint root (modules/ and stacks/ under blueprintRoot) and
// the repository's values files (tfvars, Helm values under repoRoot). `stacks lint` and `dagger call
// lint` report its problems as error findings; go test runs the same functions one by one. A new check
// is added here once, and both places run it.
func Suite(repoRoot, blueprintRoot string) ([]Check, error) {
	dirs, err := ParseTree(blueprintRoot, "modules", "stacks")
	if err != nil {
		return nil, err
	}
	checks := []Check{
		{Rule: "security-iam", Problems: CheckIAM(dirs)},
		{Rule: "security-buckets", Problems: CheckBuckets(dirs)},
	}
	files, err := ValuesFiles(repoRoot)
	if err != nil {
		return nil, err
	}
	checks = append(checks, Check{Rule: "security-secret-values", Problems: CheckSecretValues(repoRoot, files)})
	schema, err := LoadProviderSchema(filepath.Join(repoRoot, ProviderSchemaFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
		// a tree without the schema (a fixture blueprint) has nothing to check it against
	case err != nil:
		return nil, err
	default:
		checks = append(checks, Check{Rule: "provider-schema", Problems: CheckProviderSchema(dirs, schema)})
	}
	return checks, nil
}
