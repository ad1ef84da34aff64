package blueprintcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/platformteam/delivery/internal/iampolicy"
)

// WorkflowsDir holds the GitHub Actions workflows, relative to the repository root.
const WorkflowsDir = ".github/workflows"

// Workflow is the part of a GitHub Actions workflow file the identity checks read.
type Workflow struct {
	File        string
	Triggers    []string
	Permissions Permissions
	Jobs        []*Job
}

// Job is one workflow job.
type Job struct {
	ID   string
	Line int
	// If is the job's `if:` condition.
	If string
	// Environments are the job's GitHub environment names, one per matrix combination ("" when none).
	Environments []string
	Permissions  Permissions
	// RoleVariables are the `vars.<NAME>` the job's configure-aws-credentials steps assume, in order.
	RoleVariables []string
	// Unresolved is a problem reading the job (an expression the check cannot expand).
	Unresolved []string
}

// Permissions are a `permissions:` value: unset, a map, or read-all/write-all.
type Permissions struct {
	Set    bool
	All    string // "read-all" or "write-all"
	Scopes map[string]string
}

// Grants reports whether the permissions give scope at level ("write").
func (p Permissions) Grants(scope, level string) bool {
	if p.All == "write-all" {
		return true
	}
	return p.Scopes[scope] == level
}

var (
	matrixExpr  = regexp.MustCompile(`\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}`)
	anyExpr     = regexp.MustCompile(`\$\{\{[^}]*\}\}`)
	roleVarExpr = regexp.MustCompile(`^\$\{\{\s*vars\.([A-Z0-9_]+)\s*\}\}$`)
	mainOnly    = regexp.MustCompile(`github\.ref\s*==\s*'refs/heads/main'`)
)

// ReadWorkflows parses every *.yml / *.yaml under dir.
func ReadWorkflows(dir string) ([]*Workflow, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []*Workflow
	for _, e := range entries {
		if e.IsDir() || !(strings.HasSuffix(e.Name(), ".yml") || strings.HasSuffix(e.Name(), ".yaml")) {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		wf, err := parseWorkflow(filepath.ToSlash(filepath.Join(WorkflowsDir, e.Name())), raw)
		if err != nil {
			return nil, err
		}
		out = append(out, wf)
	}
	return out, nil
}

func parseWorkflow(file string, raw []byte) (*Workflow, error) {
	var doc struct {
		On          yaml.Node            `yaml:"on"`
		Permissions yaml.Node            `yaml:"permissions"`
		Jobs        map[string]yaml.Node `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	wf := &Workflow{File: file, Triggers: triggers(&doc.On), Permissions: permissions(&doc.Permissions)}
	for id, node := range doc.Jobs {
		var j struct {
			If          string    `yaml:"if"`
			Environment yaml.Node `yaml:"environment"`
			Permissions yaml.Node `yaml:"permissions"`
			Strategy    struct {
				Matrix map[string]yaml.Node `yaml:"matrix"`
			} `yaml:"strategy"`
			Steps []struct {
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		}
		if err := node.Decode(&j); err != nil {
			return nil, fmt.Errorf("%s: job %s: %w", file, id, err)
		}
		job := &Job{ID: id, Line: node.Line, If: j.If, Permissions: permissions(&j.Permissions)}
		env := ""
		switch j.Environment.Kind {
		case yaml.ScalarNode:
			env = j.Environment.Value
		case yaml.MappingNode:
			var named struct {
				Name string `yaml:"name"`
			}
			_ = j.Environment.Decode(&named)
			env = named.Name
		}
		job.Environments = expandMatrix(job, env, j.Strategy.Matrix)
		for _, st := range j.Steps {
			if !strings.HasPrefix(st.Uses, "aws-actions/configure-aws-credentials@") {
				continue
			}
			role := strings.TrimSpace(st.With["role-to-assume"])
			m := roleVarExpr.FindStringSubmatch(role)
			if m == nil {
				job.Unresolved = append(job.Unresolved, fmt.Sprintf("role-to-assume %q: write ${{ vars.AWS_<PURPOSE>_ROLE_ARN }}, set on the job's GitHub environment, so the role follows the environment", role))
				continue
			}
			job.RoleVariables = append(job.RoleVariables, m[1])
		}
		wf.Jobs = append(wf.Jobs, job)
	}
	sort.Slice(wf.Jobs, func(a, b int) bool { return wf.Jobs[a].Line < wf.Jobs[b].Line })
	return wf, nil
}

func triggers(n *yaml.Node) []string {
	var out []string
	switch n.Kind {
	case yaml.ScalarNode:
		out = append(out, n.Value)
	case yaml.SequenceNode:
		for _, c := range n.Content {
			out = append(out, c.Value)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = append(out, n.Content[i].Value)
		}
	}
	return out
}

func permissions(n *yaml.Node) Permissions {
	switch n.Kind {
	case yaml.ScalarNode:
		return Permissions{Set: true, All: n.Value}
	case yaml.MappingNode:
		p := Permissions{Set: true, Scopes: map[string]string{}}
		for i := 0; i+1 < len(n.Content); i += 2 {
			p.Scopes[n.Content[i].Value] = n.Content[i+1].Value
		}
		return p
	}
	return Permissions{}
}

// expandMatrix expands ${{ matrix.X }} in a job's environment with the matrix's list for X.
func expandMatrix(job *Job, env string, matrix map[string]yaml.Node) []string {
	if env == "" {
		return nil
	}
	m := matrixExpr.FindStringSubmatch(env)
	if m == nil {
		if anyExpr.MatchString(env) {
			job.Unresolved = append(job.Unresolved, fmt.Sprintf("environment %q: only ${{ matrix.<key> }} can be resolved statically", env))
			return nil
		}
		return []string{env}
	}
	values, ok := matrix[m[1]]
	if !ok || values.Kind != yaml.SequenceNode {
		job.Unresolved = append(job.Unresolved, fmt.Sprintf("environment %q: strategy.matrix.%s is not a list", env, m[1]))
		return nil
	}
	var out []string
	for _, v := range values.Content {
		out = append(out, strings.Replace(env, m[0], v.Value, 1))
	}
	return out
}

// CheckWorkflows checks the workflows against the declared identities of the environments:
//   - no pull_request_target trigger (it runs with secrets on code from forks);
//   - every workflow sets top-level permissions (never write-all), and id-token: write appears only on
//     jobs that assume a role, which in turn must have it;
//   - a job that assumes a role declares a GitHub environment, and the role of each purpose it assumes
//     trusts exactly that environment's subject;
//   - every subject a role trusts is the subject of a job that assumes it (no trust without a job);
//   - a workflow_dispatch workflow runs apply and deploy jobs from main only.
func CheckWorkflows(workflows []*Workflow, ids []*iampolicy.Identities) []Problem {
	var out []Problem
	type roleKey struct{ subject, purpose string }
	declared := map[roleKey]string{} // → role name
	for _, id := range ids {
		for _, r := range id.Roles {
			for _, s := range r.Subjects {
				declared[roleKey{s, string(r.Purpose)}] = r.Name
			}
		}
	}
	repo := ""
	for _, id := range ids {
		if id.GitHubRepository != "" {
			repo = id.GitHubRepository
		}
	}
	used := map[roleKey]bool{}
	for _, wf := range workflows {
		add := func(l int, msg string, args ...any) {
			out = append(out, Problem{File: wf.File, Line: l, Message: fmt.Sprintf(msg, args...)})
		}
		dispatch := false
		for _, t := range wf.Triggers {
			if t == "pull_request_target" {
				add(1, "pull_request_target runs with the base repository's secrets and token on a fork's code: use pull_request")
			}
			dispatch = dispatch || t == "workflow_dispatch"
		}
		if !wf.Permissions.Set {
			add(1, "set top-level permissions (e.g. permissions: {}) and grant each job what it uses: the default token is broader")
		}
		if wf.Permissions.All == "write-all" {
			add(1, "permissions: write-all")
		}
		if wf.Permissions.Grants("id-token", "write") {
			add(1, "id-token: write at the top level gives every job an OIDC token: grant it only on the jobs that assume a role")
		}
		for _, j := range wf.Jobs {
			for _, u := range j.Unresolved {
				add(j.Line, "job %s: %s", j.ID, u)
			}
			perms := j.Permissions
			if !perms.Set {
				perms = wf.Permissions
			}
			assumes := len(j.RoleVariables) > 0
			switch {
			case assumes && !perms.Grants("id-token", "write"):
				add(j.Line, "job %s assumes a role but has no id-token: write", j.ID)
			case !assumes && perms.Grants("id-token", "write"):
				add(j.Line, "job %s has id-token: write but assumes no role", j.ID)
			}
			if !assumes {
				continue
			}
			if len(j.Environments) == 0 {
				add(j.Line, "job %s assumes %s without an environment: its subject would be the event's (pull_request, ref), which no role trusts; declare the GitHub environment its role trusts", j.ID, strings.Join(j.RoleVariables, ", "))
				continue
			}
			for _, v := range j.RoleVariables {
				purpose, ok := purposeOf(v)
				if !ok {
					add(j.Line, "job %s assumes vars.%s: not AWS_<PURPOSE>_ROLE_ARN of a CI role (plan, drift, apply, deploy)", j.ID, v)
					continue
				}
				if dispatch && (purpose == iampolicy.Apply || purpose == iampolicy.Deploy) && !mainOnly.MatchString(j.If) {
					add(j.Line, "job %s runs %s on workflow_dispatch, which may name any branch: add if: github.ref == 'refs/heads/main'", j.ID, purpose)
				}
				for _, env := range j.Environments {
					sub := iampolicy.Subject(repo, env)
					k := roleKey{sub, string(purpose)}
					if _, ok := declared[k]; !ok {
						add(j.Line, "job %s (environment %s, subject %s) assumes the %s role, but no %s role trusts that subject", j.ID, env, sub, purpose, purpose)
						continue
					}
					used[k] = true
				}
			}
		}
	}
	if len(workflows) > 0 {
		keys := make([]roleKey, 0, len(declared))
		for k := range declared {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(a, b int) bool { return keys[a].subject+keys[a].purpose < keys[b].subject+keys[b].purpose })
		for _, k := range keys {
			if !used[k] {
				out = append(out, Problem{File: WorkflowsDir, Line: 1, Message: fmt.Sprintf("role %s trusts %s, but no workflow job with that environment assumes it: remove the trust or the role", declared[k], k.subject)})
			}
		}
	}
	return out
}

func purposeOf(variable string) (iampolicy.Purpose, bool) {
	for _, p := range iampolicy.GitHubPurposes {
		if iampolicy.RoleVariable(p) == variable {
			return p, true
		}
	}
	return "", false
}
