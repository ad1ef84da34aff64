package blueprintcheck

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/platformteam/delivery/internal/iampolicy"
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
	if samePath(repoRoot, blueprintRoot) && isDir(filepath.Join(repoRoot, filepath.FromSlash(iampolicy.Dir))) {
		identity, err := IdentityChecks(repoRoot, dirs)
		if err != nil {
			return nil, err
		}
		checks = append(checks, identity...)
	}
	return checks, nil
}

// IdentityChecks are the checks of the CI identities and of what the environments state twice: the
// policy templates and their templatefile() calls, the account guard, the declared roles, the
// environments' consistency and the workflows' environments, roles and permissions. They read the
// repository's own blueprint, environments and .github/workflows.
func IdentityChecks(repoRoot string, dirs []*Dir) ([]Check, error) {
	envs, err := RealEnvironments(repoRoot)
	if err != nil {
		return nil, err
	}
	workflows, err := ReadWorkflows(filepath.Join(repoRoot, filepath.FromSlash(WorkflowsDir)))
	if err != nil {
		return nil, err
	}
	var ids []*iampolicy.Identities
	for _, env := range envs {
		if id, err := iampolicy.Load(repoRoot, env); err == nil {
			ids = append(ids, id) // a failure is reported by CheckRoles
		}
	}
	return []Check{
		{Rule: "identity-templates", Problems: append(CheckPolicyTemplates(repoRoot), CheckTemplateCalls(repoRoot, dirs)...)},
		{Rule: "identity-roles", Problems: CheckRoles(repoRoot, envs)},
		{Rule: "identity-wiring", Problems: CheckIdentityWiring(repoRoot, envs)},
		{Rule: "identity-workflows", Problems: CheckWorkflows(workflows, ids)},
		{Rule: "account-guard", Problems: CheckAccountGuard(dirs)},
		{Rule: "environment-consistency", Problems: CheckEnvironmentConsistency(repoRoot, envs)},
	}, nil
}

func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}
