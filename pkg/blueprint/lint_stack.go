package blueprint

import (
	"fmt"
	"os"
	"path/filepath"
)

// LockFileName is terraform's dependency lock file in a stack directory.
const LockFileName = ".terraform.lock.hcl"

// HasLockFile reports whether the stack directory holds a dependency lock file.
func (b *Blueprint) HasLockFile(st *Stack) bool {
	_, err := os.Stat(filepath.Join(b.Root, filepath.FromSlash(st.Dir), LockFileName))
	return err == nil
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
	fs = append(fs, lintVersions("stack", st.ID, st.Config)...)
	if bp.NeedsProviders(st) && !bp.HasLockFile(st) {
		fs = append(fs, Finding{File: st.Dir + "/" + LockFileName, Rule: RuleStackLockFile, Severity: Warning,
			Message: fmt.Sprintf("stack %s uses providers but has no dependency lock file, so every init may pick other provider versions", st.ID),
			Hint:    "run `terraform -chdir=" + st.Dir + " providers lock -platform=linux_amd64 -platform=linux_arm64 -platform=darwin_arm64` and commit " + LockFileName + " (the engine then inits with -lockfile=readonly)"})
	}
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

func lintRemoteStates(bp *Blueprint, st *Stack) Findings {
	var fs Findings
	for _, rs := range st.RemoteStates {
		read := ReadRemoteState(st.Config, rs, bp.HasStack)
		for _, p := range read.Problems {
			fs = append(fs, findingAt(rs.Range, p.Rule, p.Message, p.Hint))
		}
		if read.Stack != "" && !read.Edge(st.ID, bp.HasStack) {
			fs = append(fs, findingAt(rs.Range, RuleRemoteStateTarget, fmt.Sprintf("remote state %q reads stack %q (key %q), which does not exist under stacks/", rs.Name, read.Stack, read.Key),
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
