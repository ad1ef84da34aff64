package workflows

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// ModuleDir and ModuleObject locate the project's Dagger module.
const (
	ModuleDir    = "ci"
	ModuleObject = "Delivery"
)

// Repository is what the checks read: the workflows and buildspec under test (possibly a mutated copy)
// and, from the repository root, the Dagger module, the environments and the IAM templates.
type Repository struct {
	Workflows    []Workflow
	Buildspec    Buildspec
	Module       *Module
	Environments []string // every directory under environments/
	Accounts     Accounts // the environments with CI identities (ci.tfvars)
	// GitHubRepository is owner/name, as the environments' ci.tfvars name it.
	GitHubRepository string
}

// LoadRepository reads the workflows and buildspec under subject and everything else under root.
func LoadRepository(root, subject string) (*Repository, error) {
	wfs, err := LoadWorkflows(subject)
	if err != nil {
		return nil, err
	}
	bs, err := LoadBuildspec(subject)
	if err != nil {
		return nil, err
	}
	mod, err := LoadModule(filepath.Join(root, ModuleDir), ModuleObject)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(root, "environments"))
	if err != nil {
		return nil, err
	}
	r := &Repository{Workflows: wfs, Buildspec: bs, Module: mod}
	var accountEnvs []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		r.Environments = append(r.Environments, e.Name())
		if _, err := os.Stat(filepath.Join(root, "environments", e.Name(), "ci.tfvars")); err == nil {
			accountEnvs = append(accountEnvs, e.Name())
		}
	}
	sort.Strings(r.Environments)
	if r.Accounts, err = LoadAccounts(root, accountEnvs); err != nil {
		return nil, err
	}
	for _, ids := range r.Accounts {
		if r.GitHubRepository != "" && ids.GitHubRepository != r.GitHubRepository {
			return nil, fmt.Errorf("environments name two GitHub repositories: %s and %s", r.GitHubRepository, ids.GitHubRepository)
		}
		r.GitHubRepository = ids.GitHubRepository
	}
	if r.GitHubRepository == "" {
		return nil, fmt.Errorf("no environment under %s names its github_repository in ci.tfvars", filepath.Join(root, "environments"))
	}
	return r, nil
}

// ExampleSHA is the commit the declared events carry.
const ExampleSHA = "0123456789abcdef0123456789abcdef01234567"

// Events are the declared events the checks derive the workflows for: a pull request to main, a push
// to main, the schedule and a manual run on main.
func (r *Repository) Events() []Event {
	vars := r.Accounts.GitHubVars()
	main := "refs/heads/main"
	return []Event{
		{Name: "pull_request", Repository: r.GitHubRepository, Ref: "refs/pull/7/merge", SHA: ExampleSHA, BaseRef: "main", PRNumber: "7", Vars: vars},
		{Name: "push", Repository: r.GitHubRepository, Ref: main, SHA: ExampleSHA, Vars: vars},
		{Name: "schedule", Repository: r.GitHubRepository, Ref: main, SHA: ExampleSHA, Vars: vars},
		{Name: "workflow_dispatch", Repository: r.GitHubRepository, Ref: main, SHA: ExampleSHA, Vars: vars},
	}
}

// CodeBuildEvents are a build of each account's CodeBuild project, with the variables the project
// (modules/codebuild-project) sets: DELIVERY_ENV and the step roles' ARNs.
func (r *Repository) CodeBuildEvents() []CodeBuildEvent {
	var out []CodeBuildEvent
	for _, env := range sortedKeys(r.Accounts) {
		ids := r.Accounts[env]
		vars := map[string]string{"DELIVERY_ENV": env}
		if role, ok := ids.Role("apply"); ok {
			vars["APPLY_ROLE_ARN"] = role.ARN
		}
		if role, ok := ids.Role("deploy"); ok {
			vars["DEPLOY_ROLE_ARN"] = role.ARN
		}
		out = append(out, CodeBuildEvent{ProjectVariables: vars, SourceVersion: ExampleSHA})
	}
	return out
}

// Runs derives every job for every declared event, then the buildspec for every account.
func (r *Repository) Runs() []JobRun {
	var runs []JobRun
	for _, ev := range r.Events() {
		runs = append(runs, Derive(r.Workflows, ev)...)
	}
	for _, ev := range r.CodeBuildEvents() {
		runs = append(runs, DeriveBuildspec(r.Buildspec, ev))
	}
	return runs
}

// Check runs every check: Lint on the workflows, then, per event, the calls against the module, the
// roles against their trust policies and the artifacts against their producers.
func (r *Repository) Check() []Finding {
	out := Lint(r.Workflows)
	for _, ev := range r.Events() {
		runs := Derive(r.Workflows, ev)
		out = append(out, prefix(ev.Name, CheckCalls(runs, r.Module, r.Environments))...)
		out = append(out, prefix(ev.Name, CheckTrust(runs, r.Accounts))...)
		out = append(out, prefix(ev.Name, CheckArtifacts(runs))...)
	}
	for _, ev := range r.CodeBuildEvents() {
		runs := []JobRun{DeriveBuildspec(r.Buildspec, ev)}
		label := "codebuild " + ev.ProjectVariables["DELIVERY_ENV"]
		out = append(out, prefix(label, CheckCalls(runs, r.Module, r.Environments))...)
		out = append(out, prefix(label, CheckTrust(runs, r.Accounts))...)
	}
	return out
}

func prefix(event string, fs []Finding) []Finding {
	for i := range fs {
		fs[i].Message = "on " + event + ": " + fs[i].Message
	}
	return fs
}
