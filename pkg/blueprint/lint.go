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

func lintModule(bp *Blueprint, m *Module) Findings {
	fs := append(Findings{}, m.Syntax...)
	if len(m.Syntax) > 0 {
		return fs
	}
	fs = append(fs, missingFiles(bp.Root, m.Dir, moduleFiles, RuleModuleLayout, "module")...)
	for _, p := range m.Providers {
		fs = append(fs, findingAt(p.Range, RuleModuleProvider, fmt.Sprintf("module %s configures provider %q", m.Name, p.Name),
			"remove the provider block: stacks configure providers, modules only list required_providers"))
	}
	for _, b := range m.Backends {
		fs = append(fs, findingAt(b.Range, RuleModuleBackend, fmt.Sprintf("module %s declares a %q backend", m.Name, b.Type),
			"remove the backend block: only stacks have state"))
	}
	for _, rs := range m.RemoteStates {
		fs = append(fs, findingAt(rs.Range, RuleModuleRemoteState, fmt.Sprintf("module %s reads remote state %q", m.Name, rs.Name),
			"read the remote state in the stack and pass the values in as module variables"))
	}
	fs = append(fs, lintVariables(m.Config)...)
	fs = append(fs, lintModuleCalls(bp, m.Config)...)
	return fs
}

func lintStack(bp *Blueprint, st *Stack) Findings {
	fs := append(Findings{}, st.Syntax...)
	if len(st.Syntax) > 0 {
		return fs // the rest would judge a half-parsed stack
	}
	fs = append(fs, missingFiles(bp.Root, st.Dir, stackFiles, RuleStackLayout, "stack")...)
	fs = append(fs, lintBackend(st)...)
	fs = append(fs, lintVariables(st.Config)...)
	fs = append(fs, lintModuleCalls(bp, st.Config)...)
	fs = append(fs, lintRemoteStates(bp, st)...)
	for _, d := range st.DependsOn {
		if _, ok := bp.Stacks[d.Stack]; !ok || d.Stack == st.ID {
			fs = append(fs, Finding{File: d.File, Line: d.Line, Rule: RuleStackDependsOn, Severity: Error,
				Message: fmt.Sprintf("stack %s depends on %q, which is not another stack under stacks/", st.ID, d.Stack),
				Hint:    "use a stack id such as shared/iam (its path under stacks/)"})
		}
	}
	fs = append(fs, lintProviderTags(st)...)
	return fs
}

func lintBackend(st *Stack) Findings {
	if len(st.Backends) == 0 {
		return Findings{{File: st.Dir + "/versions.tf", Rule: RuleStackBackend, Severity: Error,
			Message: fmt.Sprintf("stack %s declares no backend, so its state would stay on one machine", st.ID),
			Hint:    `add terraform { backend "s3" {} } to versions.tf`}}
	}
	var fs Findings
	if len(st.Backends) > 1 {
		fs = append(fs, findingAt(st.Backends[1].Range, RuleStackBackend, fmt.Sprintf("stack %s declares %d backends", st.ID, len(st.Backends)), "keep one backend \"s3\" {} block"))
	}
	b := st.Backends[0]
	if b.Type != "s3" {
		fs = append(fs, findingAt(b.Range, RuleStackBackend, fmt.Sprintf("stack %s uses backend %q", st.ID, b.Type), `use backend "s3" {} completed by environments/<env>/backend.hcl`))
	}
	if len(b.Attributes) > 0 {
		fs = append(fs, findingAt(b.Range, RuleStackBackend, fmt.Sprintf("stack %s sets backend settings inline (%v)", st.ID, b.Attributes),
			"leave the block empty: bucket/region come from backend.hcl and the engine sets key=<env>/<stack>/terraform.tfstate"))
	}
	return fs
}

func lintVariables(cfg *Config) Findings {
	var fs Findings
	for _, name := range sortedKeys(cfg.Variables) {
		v := cfg.Variables[name]
		if !v.Typed {
			fs = append(fs, findingAt(v.Range, RuleVariableType, fmt.Sprintf("variable %q has no valid type", name), "add type = string (or the precise type)"))
		}
		if v.Description == "" {
			fs = append(fs, findingAt(v.Range, RuleVariableDesc, fmt.Sprintf("variable %q has no description", name), "add description = \"what this is for\""))
		}
	}
	return fs
}

func lintModuleCalls(bp *Blueprint, cfg *Config) Findings {
	var fs Findings
	calls := map[string]*Module{}
	known := map[string]bool{}
	for _, call := range cfg.ModuleCalls {
		known[call.Name] = true
		if !call.Local() {
			continue
		}
		m := bp.ModuleFor(cfg.Dir, call)
		if m == nil {
			fs = append(fs, findingAt(call.Range, RuleModuleSource, fmt.Sprintf("module %q: source %q is not a module under modules/", call.Name, call.Source),
				"point source at an existing modules/<name> directory (relative to this one)"))
			continue
		}
		calls[call.Name] = m
		for _, vn := range sortedKeys(m.Variables) {
			if _, passed := call.Inputs[vn]; !passed && m.Variables[vn].Required() {
				fs = append(fs, findingAt(call.Range, RuleModuleInputs, fmt.Sprintf("module %q does not pass required variable %q of modules/%s", call.Name, vn, m.Name),
					fmt.Sprintf("add %s = ... to the module block", vn)))
			}
		}
		for _, in := range sortedKeys(call.Inputs) {
			if _, ok := m.Variables[in]; !ok {
				fs = append(fs, findingAt(call.Inputs[in], RuleModuleInputs, fmt.Sprintf("module %q passes %q, which modules/%s does not declare", call.Name, in, m.Name),
					"remove the argument or declare the variable in the module"))
			}
		}
	}
	for _, ref := range cfg.ModuleRefs {
		if !known[ref.Module] {
			fs = append(fs, findingAt(ref.Range, RuleModuleOutput, fmt.Sprintf("module.%s.%s refers to a module block that does not exist", ref.Module, ref.Output), "fix the module name"))
			continue
		}
		if m := calls[ref.Module]; m != nil {
			if _, ok := m.Outputs[ref.Output]; !ok {
				fs = append(fs, findingAt(ref.Range, RuleModuleOutput, fmt.Sprintf("module.%s.%s: modules/%s has no output %q", ref.Module, ref.Output, m.Name, ref.Output),
					fmt.Sprintf("use one of its outputs %v or add the output to modules/%s/outputs.tf", sortedKeys(m.Outputs), m.Name)))
			}
		}
	}
	return fs
}

func lintRemoteStates(bp *Blueprint, st *Stack) Findings {
	var fs Findings
	for _, rs := range st.RemoteStates {
		target, err := ResolveRemoteState(rs)
		if p, ok := err.(*RemoteStateProblem); ok {
			fs = append(fs, findingAt(rs.Range, p.Rule, p.Message, p.Hint))
			continue
		}
		if _, exists := bp.Stacks[target]; !exists || target == st.ID {
			fs = append(fs, findingAt(rs.Range, RuleRemoteStateTarget, fmt.Sprintf("remote state %q reads stack %q, which does not exist under stacks/", rs.Name, target),
				"fix the stack path in the key or create the stack"))
		}
	}
	return fs
}

func lintProviderTags(st *Stack) Findings {
	var fs Findings
	for _, p := range st.Providers {
		if p.Name != "aws" {
			continue
		}
		if p.DefaultTags == nil || !isTraversal(p.DefaultTags, "var", "tags") {
			fs = append(fs, findingAt(p.Range, RuleProviderTags, fmt.Sprintf("stack %s: provider aws does not set default_tags from var.tags", st.ID),
				"write default_tags { tags = var.tags } so every resource carries the environment's tags"))
		} else if _, ok := st.Variables["tags"]; !ok {
			fs = append(fs, findingAt(p.Range, RuleProviderTags, fmt.Sprintf("stack %s uses var.tags but declares no tags variable", st.ID),
				`declare variable "tags" { type = map(string) }`))
		}
	}
	return fs
}

func lintOverlay(bp *Blueprint, ov *Overlay) Findings {
	fs := append(Findings{}, ov.Syntax...)
	for _, need := range []string{"bucket", "region"} {
		if _, ok := ov.Backend[need]; !ok {
			fs = append(fs, Finding{File: ov.BackendFile, Line: 1, Rule: RuleEnvBackend, Severity: Error,
				Message: fmt.Sprintf("%s does not set %s", ov.BackendFile, need), Hint: fmt.Sprintf("add %s = \"...\"", need)})
		}
	}
	if _, ok := ov.Backend["key"]; ok {
		fs = append(fs, Finding{File: ov.BackendFile, Line: ov.BackendLines["key"], Rule: RuleEnvBackend, Severity: Error,
			Message: "backend.hcl sets key, but the engine sets it per stack", Hint: "remove key; it becomes <env>/<stack>/terraform.tfstate"})
	}
	_, lockfile := ov.Backend["use_lockfile"]
	_, table := ov.Backend["dynamodb_table"]
	if !lockfile && !table {
		fs = append(fs, Finding{File: ov.BackendFile, Line: 1, Rule: RuleEnvBackend, Severity: Error,
			Message: "backend.hcl enables no state locking", Hint: "add use_lockfile = true"})
	}
	fs = append(fs, lintTags(ov)...)
	for _, id := range bp.StackIDs() {
		_, problems := StackInputs(bp.Stacks[id], ov)
		fs = append(fs, problems...)
	}
	return fs
}

func lintTags(ov *Overlay) Findings {
	tv, ok := ov.Value("tags")
	if !ok {
		return Findings{{File: ov.Dir + "/tags.tfvars", Rule: RuleEnvTags, Severity: Error,
			Message: fmt.Sprintf("environment %s sets no tags", ov.Name), Hint: fmt.Sprintf("create tags.tfvars with tags = { %v }", RequiredTags)}}
	}
	v := tv.Value
	if v.IsNull() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		return Findings{{File: tv.File, Line: tv.Line, Rule: RuleEnvTags, Severity: Error, Message: "tags is not a map", Hint: `write tags = { Project = "..." }`}}
	}
	var fs Findings
	m := v.AsValueMap()
	for _, k := range RequiredTags {
		if _, ok := m[k]; !ok {
			fs = append(fs, Finding{File: tv.File, Line: tv.Line, Rule: RuleEnvTags, Severity: Error,
				Message: fmt.Sprintf("tags lacks required key %s", k), Hint: fmt.Sprintf("add %s = \"...\" to tags", k)})
		}
	}
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
