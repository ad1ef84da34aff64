package workflows

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Event is the declared event a derivation expands the workflows for.
type Event struct {
	Name       string // push, pull_request, schedule, workflow_dispatch
	Repository string // owner/name
	Ref        string // refs/heads/main (pull_request: the merge ref)
	SHA        string
	BaseRef    string // pull_request: the target branch
	PRNumber   string
	// Vars are the variables of each GitHub environment by name; "" holds the repository's.
	Vars map[string]map[string]string
}

// JobRun is one job (one matrix combination) as the event would run it.
type JobRun struct {
	Workflow string // file, e.g. .github/workflows/pr.yml
	Job      string // job id
	Matrix   map[string]string
	Trigger  string
	Needs    []string
	// Runs is false when the job's if: is false for the event (github.ref comparisons are evaluated).
	Runs        bool
	Environment string // GitHub environment (CodeBuild: the DELIVERY_ENV)
	// Subject is the OIDC `sub` claim GitHub gives the job ("" for CodeBuild).
	Subject     string
	Permissions Permissions
	Steps       []Step
	Roles       []RoleUse
	Calls       []DaggerCall
	Uploads     []Artifact
	Downloads   []Artifact
	// Problems are expressions or variables the job could not expand: each one a finding.
	Problems []string
}

// Name names the job in messages: pr/plan (staging).
func (j JobRun) Name() string {
	wf := strings.TrimSuffix(strings.TrimSuffix(path.Base(j.Workflow), ".yml"), ".yaml")
	n := wf + "/" + j.Job
	if len(j.Matrix) > 0 {
		var vals []string
		for _, k := range sortedKeys(j.Matrix) {
			vals = append(vals, j.Matrix[k])
		}
		n += " (" + strings.Join(vals, ", ") + ")"
	}
	return n
}

// RoleUse is a step that assumes a role.
type RoleUse struct {
	Step     string
	Variable string // vars.NAME (GitHub) or the environment variable (CodeBuild) holding the ARN
	ARN      string // "" when the variable has no value
	Region   string
}

// DaggerCall is one `dagger call` of a job: its words after `call`, and the role in effect.
type DaggerCall struct {
	Step string
	Args []string
	Role *RoleUse // nil: no role assumed before it
}

// Artifact is an uploaded or downloaded workflow artifact.
type Artifact struct {
	Step string
	Name string
	Path string
}

// OIDCSubject is the `sub` claim GitHub gives a job: its environment when it declares one, else the
// pull request, else the ref.
func OIDCSubject(repository, environment, event, ref string) string {
	switch {
	case environment != "":
		return "repo:" + repository + ":environment:" + environment
	case event == "pull_request":
		return "repo:" + repository + ":pull_request"
	}
	return "repo:" + repository + ":ref:" + ref
}

// Triggered reports whether the workflow runs for the event (trigger and branch filter).
func (wf Workflow) Triggered(ev Event) bool {
	t, ok := wf.Triggers[ev.Name]
	if !ok {
		return false
	}
	if len(t.Branches) == 0 {
		return true
	}
	branch := strings.TrimPrefix(ev.Ref, "refs/heads/")
	if ev.Name == "pull_request" {
		branch = ev.BaseRef
	}
	for _, b := range t.Branches {
		if b == branch {
			return true
		}
	}
	return false
}

// Derive expands every job of the workflows the event triggers, one JobRun per matrix combination.
func Derive(wfs []Workflow, ev Event) []JobRun {
	var out []JobRun
	for _, wf := range wfs {
		if !wf.Triggered(ev) {
			continue
		}
		for _, job := range wf.Jobs {
			for _, m := range matrixCombinations(job.Matrix) {
				out = append(out, deriveJob(wf, job, m, ev))
			}
		}
	}
	return out
}

func matrixCombinations(m map[string][]string) []map[string]string {
	combos := []map[string]string{{}}
	for _, k := range sortedKeys(m) {
		var next []map[string]string
		for _, c := range combos {
			for _, v := range m[k] {
				n := map[string]string{k: v}
				for ck, cv := range c {
					n[ck] = cv
				}
				next = append(next, n)
			}
		}
		combos = next
	}
	return combos
}

var varRef = regexp.MustCompile(`\$\{\{\s*vars\.([A-Za-z0-9_]+)\s*\}\}`)

func deriveJob(wf Workflow, job Job, matrix map[string]string, ev Event) JobRun {
	run := JobRun{Workflow: wf.File, Job: job.ID, Matrix: matrix, Trigger: ev.Name, Needs: job.Needs,
		Permissions: job.Permissions, Steps: job.Steps, Runs: true}
	ctx := Contexts{
		GitHub: map[string]string{
			"sha": ev.SHA, "ref": ev.Ref, "repository": ev.Repository, "event_name": ev.Name,
			"token": "<GITHUB_TOKEN>", "server_url": "https://github.com", "run_id": ExampleRunID, "actor": ExampleActor,
		},
		Matrix: matrix,
	}
	if ev.Name == "pull_request" {
		ctx.GitHub["base_ref"] = ev.BaseRef
		ctx.GitHub["event.pull_request.number"] = ev.PRNumber
	}
	problem := func(format string, a ...any) { run.Problems = append(run.Problems, fmt.Sprintf(format, a...)) }
	expand := func(what, s string) string {
		v, err := ExpandExpressions(s, ctx)
		if err != nil {
			problem("%s: %v", what, err)
		}
		return v
	}
	run.Environment = expand("environment", job.Environment)
	run.Subject = OIDCSubject(ev.Repository, run.Environment, ev.Name, ev.Ref)
	ctx.Vars = map[string]string{}
	for k, v := range ev.Vars[""] {
		ctx.Vars[k] = v
	}
	ctx.VarsOf = "the repository's variables (the job declares no GitHub environment)"
	if run.Environment != "" {
		for k, v := range ev.Vars[run.Environment] {
			ctx.Vars[k] = v
		}
		ctx.VarsOf = "the GitHub environment " + run.Environment
	}
	if ok, known := evalIf(job.If, ctx); known {
		run.Runs = ok
	}
	var role *RoleUse
	for _, st := range job.Steps {
		label := "step " + st.Label()
		switch st.Action() {
		case "aws-actions/configure-aws-credentials":
			r := RoleUse{Step: st.Label()}
			if m := varRef.FindStringSubmatch(st.With["role-to-assume"]); m != nil {
				r.Variable = m[1]
			}
			r.ARN = expand(label+": role-to-assume", st.With["role-to-assume"])
			r.Region = expand(label+": aws-region", st.With["aws-region"])
			run.Roles = append(run.Roles, r)
			role = &r
		case "dagger/dagger-for-github":
			if st.With["verb"] != "call" {
				continue
			}
			args := expand(label+": args", st.With["args"])
			cmds, _, err := ShellCommands(args, nil)
			if err != nil || len(cmds) != 1 {
				problem("%s: args are not one command: %v", label, err)
				continue
			}
			run.Calls = append(run.Calls, DaggerCall{Step: st.Label(), Args: cmds[0], Role: role})
		case "actions/upload-artifact":
			run.Uploads = append(run.Uploads, Artifact{Step: st.Label(), Name: expand(label+": name", st.With["name"]), Path: expand(label+": path", st.With["path"])})
		case "actions/download-artifact":
			run.Downloads = append(run.Downloads, Artifact{Step: st.Label(), Name: expand(label+": name", st.With["name"]), Path: expand(label+": path", st.With["path"])})
		}
		if st.Run != "" && strings.Contains(st.Run, "dagger") {
			env := map[string]string{}
			for k, v := range st.Env {
				env[k] = expand(label+": env "+k, v)
			}
			script := expand(label+": run", st.Run)
			for _, args := range daggerCalls(script, env, func(u []string) { problem("%s: unset variables %v", label, u) }) {
				run.Calls = append(run.Calls, DaggerCall{Step: st.Label(), Args: args, Role: role})
			}
		}
	}
	return run
}

// daggerCalls finds the `dagger call` commands of a script (also behind a wrapper such as
// `stacks guard -- dagger call ...`) and returns their words after `call`.
func daggerCalls(script string, env map[string]string, unset func([]string)) [][]string {
	cmds, missing, err := ShellCommands(script, env)
	if err != nil {
		unset([]string{err.Error()})
		return nil
	}
	var out [][]string
	for _, c := range cmds {
		for i := 0; i+1 < len(c); i++ {
			if (c[i] == "dagger" || strings.HasSuffix(c[i], "/dagger")) && c[i+1] == "call" {
				out = append(out, c[i+2:])
				break
			}
		}
	}
	if len(out) > 0 && len(missing) > 0 {
		unset(missing)
	}
	return out
}

var refCompare = regexp.MustCompile(`^github\.([a-z_]+)\s*(==|!=)\s*'([^']*)'$`)

// evalIf evaluates the conditions the workflows use: github.<key> == '<value>' and the status
// functions (which hold on the success path). known is false for anything else.
func evalIf(cond string, ctx Contexts) (ok, known bool) {
	c := strings.TrimSpace(cond)
	if strings.HasPrefix(c, "${{") && strings.HasSuffix(c, "}}") {
		c = strings.TrimSpace(c[3 : len(c)-2])
	}
	switch c {
	case "":
		return true, true
	case "!cancelled()", "always()", "success()":
		return true, true
	}
	if m := refCompare.FindStringSubmatch(c); m != nil {
		eq := ctx.GitHub[m[1]] == m[3]
		return eq == (m[2] == "=="), true
	}
	return true, false
}

// CodeBuildEvent is a declared CodeBuild build: the project's environment variables (which override the
// buildspec's) and the resolved source version.
// Values of a run's identity, as GitHub (github.run_id, github.actor) and CodeBuild
// (CODEBUILD_BUILD_ID) set them: the deploy calls name the run as the deploy lock's holder.
const (
	ExampleRunID   = "4242424242"
	ExampleActor   = "example-actor"
	ExampleBuildID = "delivery-build:0f0e0d0c-0b0a-0908-0706-050403020100"
)

type CodeBuildEvent struct {
	ProjectVariables map[string]string
	SourceVersion    string
}

var (
	profileRole   = regexp.MustCompile(`^aws configure set profile\.([A-Za-z0-9_-]+)\.role_arn "?\$\{?([A-Z0-9_]+)\}?"?$`)
	exportProfile = regexp.MustCompile(`aws configure export-credentials --profile ([A-Za-z0-9_-]+)`)
)

// DeriveBuildspec expands buildspec.yml for a CodeBuild build: the step roles it chains into
// (aws configure profiles), and its `dagger call` commands with the variables expanded.
func DeriveBuildspec(b Buildspec, ev CodeBuildEvent) JobRun {
	env := map[string]string{}
	for k, v := range b.Variables {
		env[k] = v
	}
	for k, v := range ev.ProjectVariables {
		env[k] = v
	}
	env["CODEBUILD_RESOLVED_SOURCE_VERSION"] = ev.SourceVersion
	env["CODEBUILD_BUILD_ID"] = ExampleBuildID
	run := JobRun{Workflow: b.File, Job: "build", Trigger: "codebuild", Runs: true, Environment: env["DELIVERY_ENV"]}
	profiles := map[string]RoleUse{}
	var role *RoleUse
	for _, ph := range b.Phases {
		for _, c := range ph.Commands {
			label := ph.Name + ": " + firstLine(c)
			if m := profileRole.FindStringSubmatch(strings.TrimSpace(c)); m != nil {
				r := RoleUse{Step: label, Variable: m[2], ARN: env[m[2]]}
				if r.ARN == "" {
					run.Problems = append(run.Problems, fmt.Sprintf("%s: %s is not set by the project", label, m[2]))
				}
				profiles[m[1]] = r
				continue
			}
			if m := exportProfile.FindStringSubmatch(c); m != nil {
				r, ok := profiles[m[1]]
				if !ok {
					run.Problems = append(run.Problems, fmt.Sprintf("%s: profile %s has no role_arn set before it", label, m[1]))
					continue
				}
				run.Roles = append(run.Roles, r)
				role = &r
				continue
			}
			if !strings.Contains(c, "dagger") {
				continue
			}
			for _, args := range daggerCalls(c, env, func(u []string) {
				run.Problems = append(run.Problems, fmt.Sprintf("%s: unset variables %v", label, u))
			}) {
				run.Calls = append(run.Calls, DaggerCall{Step: label, Args: args, Role: role})
			}
		}
	}
	return run
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if len(l) > 60 {
		l = l[:60] + "…"
	}
	return l
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
