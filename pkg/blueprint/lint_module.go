package blueprint

import "fmt"

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
	fs = append(fs, lintVersions("module", m.Name, m.Config)...)
	return fs
}
