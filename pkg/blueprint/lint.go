package blueprint

import (
	"fmt"
	"os"
	"path/filepath"
)

// Rule names the linter reports (docs/stack-engine.md lists them with examples).
const (
	RuleSyntax             = "hcl-syntax"
	RuleModuleLayout       = "module-layout"
	RuleModuleProvider     = "module-no-provider"
	RuleModuleBackend      = "module-no-backend"
	RuleModuleRemoteState  = "module-no-remote-state"
	RuleVariableType       = "variable-type"
	RuleVariableDesc       = "variable-description"
	RuleModuleSource       = "module-source"
	RuleModuleInputs       = "module-inputs"
	RuleModuleOutput       = "module-output"
	RuleStackLayout        = "stack-layout"
	RuleStackBackend       = "stack-backend"
	RuleRemoteStateTarget  = "remote-state-target"
	RuleStackDependsOn     = "stack-depends-on"
	RuleProviderTags       = "provider-tags"
	RuleEnvBackend         = "env-backend"
	RuleEnvTags            = "env-tags"
	RuleTFVarsType         = "tfvars-type"
	RuleStackInputs        = "stack-inputs"
	RuleRemoteStateKey     = "remote-state-key"
	RuleRemoteStateConfig  = "remote-state-config"
	RuleRemoteStateBackend = "remote-state-backend"
	RuleStackLockFile      = "stack-lock-file"
	RuleTerraformVersion   = "terraform-version"
	RuleProviderVersion    = "provider-version"
)

// RequiredTags are the tag keys every environment's tags must carry.
var RequiredTags = []string{"Project", "App", "Environment", "Owner", "ManagedBy"}

var (
	moduleFiles = []string{"main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"}
	stackFiles  = []string{"versions.tf", "variables.tf", "main.tf", "outputs.tf"}
)

// Lint checks the blueprint and the given environment overlays against the conventions. The result is
// sorted; Findings.Errors() > 0 means the blueprint must not be run.
func Lint(bp *Blueprint, overlays []*Overlay) Findings {
	var fs Findings
	for _, name := range sortedKeys(bp.Modules) {
		fs = append(fs, lintModule(bp, bp.Modules[name])...)
	}
	for _, id := range bp.StackIDs() {
		fs = append(fs, lintStack(bp, bp.Stacks[id])...)
	}
	for _, ov := range overlays {
		fs = append(fs, lintOverlay(bp, ov)...)
	}
	fs.Sort()
	return fs
}

func missingFiles(root, dir string, names []string, rule, kind string) Findings {
	var fs Findings
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(dir), n)); err != nil {
			fs = append(fs, Finding{File: dir + "/" + n, Rule: rule, Severity: Warning,
				Message: fmt.Sprintf("%s %s has no %s", kind, dir, n), Hint: fmt.Sprintf("every %s keeps the standard files %v", kind, names)})
		}
	}
	return fs
}
