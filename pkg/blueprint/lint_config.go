package blueprint

import "fmt"

// Rules that apply to every Terraform directory, module or stack.

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
