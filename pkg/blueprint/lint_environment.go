package blueprint

import "fmt"

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
