// Package workflows reads the repository's GitHub Actions workflows (.github/workflows/*.yml) and its
// CodeBuild buildspec.yml as test subjects. For a declared event it derives what each job would do:
// its trigger, its GitHub environment, the OIDC subject GitHub would give it, the roles it assumes,
// its `dagger call` argument lists with the expressions expanded, and the artifacts it passes to other
// jobs. The checks then hold those jobs to the project's rules (Lint: permissions, triggers, checkout
// credentials, deploy guards), to the Dagger module's real functions and flags (CheckCalls) and to the
// trust policies of the roles they assume, rendered from the Terraform templates (CheckTrust).
//
// Nothing here runs a workflow step: it is the static half of a workflow runner (docs/workflows.md).
package workflows

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Workflow is one .github/workflows file.
type Workflow struct {
	// File is the path relative to the repository root.
	File        string
	Name        string
	Triggers    map[string]Trigger
	Permissions Permissions
	Jobs        []Job
}

// Trigger is one `on:` event with its branch filter (empty: every branch).
type Trigger struct {
	Branches []string
}

// Permissions are a GITHUB_TOKEN permission block: scope → read|write|none. Declared is false when the
// block is absent (the repository default applies, which the project never relies on).
type Permissions struct {
	Declared bool
	Scopes   map[string]string
}

// Job is one job of a workflow, before its matrix is expanded.
type Job struct {
	ID          string
	Needs       []string
	If          string
	Environment string // raw, may hold expressions
	Permissions Permissions
	Matrix      map[string][]string
	Steps       []Step
}

// Step is one step of a job.
type Step struct {
	Name string
	ID   string
	Uses string
	With map[string]string
	Run  string
	Env  map[string]string
	If   string
}

// Label names a step in messages: its name, else what it uses, else its first line.
func (s Step) Label() string {
	switch {
	case s.Name != "":
		return s.Name
	case s.Uses != "":
		return s.Uses
	}
	line, _, _ := strings.Cut(strings.TrimSpace(s.Run), "\n")
	return line
}

// Action is the step's action without its version (actions/checkout@v4 → actions/checkout).
func (s Step) Action() string {
	a, _, _ := strings.Cut(s.Uses, "@")
	return a
}

// LoadWorkflows parses every .github/workflows/*.yml and *.yaml under root, sorted by file name.
func LoadWorkflows(root string) ([]Workflow, error) {
	var files []string
	for _, pattern := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(root, ".github", "workflows", pattern))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("no workflow files under %s: run from the repository root", filepath.Join(root, ".github", "workflows"))
	}
	var out []Workflow
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(root, f)
		wf, err := ParseWorkflow(filepath.ToSlash(rel), data)
		if err != nil {
			return nil, err
		}
		out = append(out, wf)
	}
	return out, nil
}

// The YAML shapes, decoded loosely where GitHub accepts several forms.
type rawWorkflow struct {
	Name        string            `yaml:"name"`
	On          yaml.Node         `yaml:"on"`
	Permissions yaml.Node         `yaml:"permissions"`
	Jobs        yaml.Node         `yaml:"jobs"`
	Env         map[string]string `yaml:"env"`
}

type rawJob struct {
	Needs       yaml.Node `yaml:"needs"`
	If          string    `yaml:"if"`
	Environment yaml.Node `yaml:"environment"`
	Permissions yaml.Node `yaml:"permissions"`
	Strategy    struct {
		Matrix map[string]yaml.Node `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []struct {
		Name string            `yaml:"name"`
		ID   string            `yaml:"id"`
		Uses string            `yaml:"uses"`
		With map[string]string `yaml:"with"`
		Run  string            `yaml:"run"`
		Env  map[string]string `yaml:"env"`
		If   string            `yaml:"if"`
	} `yaml:"steps"`
}

// ParseWorkflow parses one workflow file's content; file names it in errors.
func ParseWorkflow(file string, data []byte) (Workflow, error) {
	var raw rawWorkflow
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return Workflow{}, fmt.Errorf("%s: %w", file, err)
	}
	wf := Workflow{File: file, Name: raw.Name, Triggers: map[string]Trigger{}}
	if err := parseTriggers(&raw.On, wf.Triggers); err != nil {
		return Workflow{}, fmt.Errorf("%s: on: %w", file, err)
	}
	var err error
	if wf.Permissions, err = parsePermissions(&raw.Permissions); err != nil {
		return Workflow{}, fmt.Errorf("%s: permissions: %w", file, err)
	}
	if raw.Jobs.Kind != yaml.MappingNode {
		return Workflow{}, fmt.Errorf("%s: no jobs", file)
	}
	for i := 0; i+1 < len(raw.Jobs.Content); i += 2 {
		id := raw.Jobs.Content[i].Value
		var rj rawJob
		if err := raw.Jobs.Content[i+1].Decode(&rj); err != nil {
			return Workflow{}, fmt.Errorf("%s: job %s: %w", file, id, err)
		}
		job, err := convertJob(id, rj)
		if err != nil {
			return Workflow{}, fmt.Errorf("%s: job %s: %w", file, id, err)
		}
		wf.Jobs = append(wf.Jobs, job)
	}
	return wf, nil
}

func convertJob(id string, rj rawJob) (Job, error) {
	job := Job{ID: id, If: rj.If, Matrix: map[string][]string{}}
	switch rj.Needs.Kind {
	case 0:
	case yaml.ScalarNode:
		job.Needs = []string{rj.Needs.Value}
	default:
		if err := rj.Needs.Decode(&job.Needs); err != nil {
			return Job{}, fmt.Errorf("needs: %w", err)
		}
	}
	switch rj.Environment.Kind {
	case 0:
	case yaml.ScalarNode:
		job.Environment = rj.Environment.Value
	default:
		var env struct {
			Name string `yaml:"name"`
		}
		if err := rj.Environment.Decode(&env); err != nil {
			return Job{}, fmt.Errorf("environment: %w", err)
		}
		job.Environment = env.Name
	}
	var err error
	if job.Permissions, err = parsePermissions(&rj.Permissions); err != nil {
		return Job{}, fmt.Errorf("permissions: %w", err)
	}
	for k, v := range rj.Strategy.Matrix {
		if k == "include" || k == "exclude" {
			return Job{}, fmt.Errorf("matrix %s is not supported by the workflow checks: list the values instead", k)
		}
		var values []string
		if err := v.Decode(&values); err != nil {
			return Job{}, fmt.Errorf("matrix %s: a list of strings is expected: %w", k, err)
		}
		job.Matrix[k] = values
	}
	for _, s := range rj.Steps {
		job.Steps = append(job.Steps, Step{Name: s.Name, ID: s.ID, Uses: s.Uses, With: s.With, Run: s.Run, Env: s.Env, If: s.If})
	}
	return job, nil
}

func parseTriggers(n *yaml.Node, out map[string]Trigger) error {
	switch n.Kind {
	case yaml.ScalarNode:
		out[n.Value] = Trigger{}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			out[c.Value] = Trigger{}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			var t struct {
				Branches []string `yaml:"branches"`
			}
			if v := n.Content[i+1]; v.Kind == yaml.MappingNode {
				if err := v.Decode(&t); err != nil {
					return err
				}
			}
			out[n.Content[i].Value] = Trigger{Branches: t.Branches}
		}
	default:
		return fmt.Errorf("missing")
	}
	return nil
}

func parsePermissions(n *yaml.Node) (Permissions, error) {
	p := Permissions{Scopes: map[string]string{}}
	switch n.Kind {
	case 0:
		return p, nil
	case yaml.ScalarNode: // read-all, write-all
		p.Declared = true
		p.Scopes["*"] = strings.TrimSuffix(n.Value, "-all")
		return p, nil
	case yaml.MappingNode:
		p.Declared = true
		return p, n.Decode(&p.Scopes)
	}
	return p, fmt.Errorf("a map of scopes is expected")
}
