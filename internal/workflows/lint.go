package workflows

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Finding is one broken rule, naming the workflow job (or workflow) it is about.
type Finding struct {
	Where   string // pr/plan (staging), deploy (the workflow), buildspec/build
	Message string
}

func (f Finding) String() string { return f.Where + ": " + f.Message }

// Lint holds the workflows to the project's rules (docs/workflows.md):
//   - no pull_request_target trigger (it runs with secrets on code from forks);
//   - permissions: {} at the top, and each job asks only for what it uses: contents: read where it
//     checks the repository out, id-token: write where it assumes an AWS role, pull-requests: write
//     where it comments on the pull request; nothing else;
//   - persist-credentials: false on every checkout of a job that runs Dagger (the checkout, .git
//     included, is sent to the engine);
//   - a workflow that workflow_dispatch can start guards every job that assumes a role or declares a
//     GitHub environment with if: github.ref == 'refs/heads/main'.
func Lint(wfs []Workflow) []Finding {
	var out []Finding
	for _, wf := range wfs {
		name := workflowName(wf)
		add := func(where, format string, a ...any) {
			out = append(out, Finding{Where: where, Message: fmt.Sprintf(format, a...)})
		}
		if _, ok := wf.Triggers["pull_request_target"]; ok {
			add(name, "pull_request_target runs with the repository's secrets and write token on a fork's code: use pull_request")
		}
		if !wf.Permissions.Declared || len(wf.Permissions.Scopes) > 0 {
			add(name, "the workflow must declare `permissions: {}` so that every job asks for what it uses")
		}
		_, dispatch := wf.Triggers["workflow_dispatch"]
		for _, job := range wf.Jobs {
			where := name + "/" + job.ID
			used := usedPermissions(job)
			if !job.Permissions.Declared {
				add(where, "declares no permissions: give it exactly %s", describe(used))
			}
			for scope, level := range job.Permissions.Scopes {
				if want, ok := used[scope]; !ok || want != level {
					add(where, "permission %s: %s is not used by the job (it uses %s)", scope, level, describe(used))
				}
			}
			for scope, level := range used {
				if job.Permissions.Declared && job.Permissions.Scopes[scope] != level {
					add(where, "uses %s: %s but does not declare it", scope, level)
				}
			}
			if runsDagger(job) {
				for _, st := range job.Steps {
					if st.Action() == "actions/checkout" && st.With["persist-credentials"] != "false" {
						add(where, "step %q: the checkout is sent to Dagger, so it needs `persist-credentials: false` (else the token is in .git/config)", st.Label())
					}
				}
			}
			if dispatch && (assumesRole(job) || job.Environment != "") && !guardedToMain(job.If) {
				add(where, "workflow_dispatch can start it on any branch: guard it with `if: github.ref == 'refs/heads/main'`")
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Where < out[j].Where })
	return out
}

func workflowName(wf Workflow) string {
	n := wf.File[strings.LastIndex(wf.File, "/")+1:]
	return strings.TrimSuffix(strings.TrimSuffix(n, ".yml"), ".yaml")
}

// usedPermissions is what a job's steps need from the GITHUB_TOKEN.
func usedPermissions(job Job) map[string]string {
	used := map[string]string{}
	for _, st := range job.Steps {
		switch {
		case st.Action() == "actions/checkout":
			used["contents"] = "read"
		case st.Action() == "aws-actions/configure-aws-credentials" && st.With["role-to-assume"] != "":
			used["id-token"] = "write"
		case commentsOnPullRequest(st):
			used["pull-requests"] = "write"
		}
	}
	return used
}

var prComment = regexp.MustCompile(`gh\s+pr\s+comment|gh\s+api\b[^\n]*issues/[^\n]*comments`)

func commentsOnPullRequest(st Step) bool { return prComment.MatchString(st.Run) }

func assumesRole(job Job) bool { return usedPermissions(job)["id-token"] == "write" }

func runsDagger(job Job) bool {
	for _, st := range job.Steps {
		if st.Action() == "dagger/dagger-for-github" || regexp.MustCompile(`\bdagger\s+call\b`).MatchString(st.Run) {
			return true
		}
	}
	return false
}

var mainGuard = regexp.MustCompile(`github\.ref\s*==\s*'refs/heads/main'`)

func guardedToMain(cond string) bool {
	return mainGuard.MatchString(cond) && !strings.Contains(cond, "||")
}

func describe(perms map[string]string) string {
	if len(perms) == 0 {
		return "no permissions ({})"
	}
	var parts []string
	for _, k := range sortedKeys(perms) {
		parts = append(parts, k+": "+perms[k])
	}
	return strings.Join(parts, ", ")
}
