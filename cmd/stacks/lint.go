package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/platformteam/delivery/internal/blueprintcheck"
	"github.com/platformteam/delivery/pkg/blueprint"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/stackgraph"
)

func lintCommand(args []string) error {
	var f commonFlags
	fs := newFlagSet("lint", "[--root DIR] [--env ENV] [--json]")
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	groups, findings, err := blueprintGroups(f.root, f.env)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, g := range groups {
		for _, fd := range append(lintGroup(f.root, g), securityFindings(f.root, g)...) {
			if key := fd.String(); !seen[key] { // the values-file checks see the same files from every group
				seen[key] = true
				findings = append(findings, fd)
			}
		}
	}
	findings.Sort()
	if f.json {
		out, _ := json.MarshalIndent(struct {
			Findings blueprint.Findings `json:"findings"`
			Errors   int                `json:"errors"`
		}{append(blueprint.Findings{}, findings...), findings.Errors()}, "", "  ")
		fmt.Println(string(out))
	} else {
		for _, fd := range findings {
			fmt.Println(fd.String())
		}
		fmt.Printf("%d errors, %d warnings in %s\n", findings.Errors(), len(findings)-findings.Errors(), describeGroups(groups))
	}
	if findings.Errors() > 0 {
		return &exitError{code: 1}
	}
	return nil
}

// group is one blueprint root and the environments that run it.
type group struct {
	stacksRoot string // relative to the repository root
	envs       []string
}

// blueprintGroups decides which blueprint roots to lint with which environments: --env picks one; else
// every folder under environments/, grouped by its terraform.stacks_root, plus the root itself.
func blueprintGroups(root, env string) ([]group, blueprint.Findings, error) {
	if env != "" {
		e, err := environment.Load(root, env)
		if err != nil {
			return nil, nil, err
		}
		return []group{{stacksRoot: cleanRel(e.Terraform.StacksRoot), envs: []string{env}}}, nil, nil
	}
	byRoot := map[string][]string{".": nil}
	var findings blueprint.Findings
	entries, err := os.ReadDir(filepath.Join(root, blueprint.EnvironmentsDir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("list environments: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		sr := "."
		file := path.Join(blueprint.EnvironmentsDir, e.Name(), environment.FileName)
		if raw, err := os.ReadFile(filepath.Join(root, file)); err == nil {
			parsed, perr := environment.Parse(raw)
			if perr != nil {
				findings = append(findings, blueprint.Finding{File: file, Rule: "environment-file", Severity: blueprint.Error,
					Message: perr.Error(), Hint: "fix delivery.yaml (see pkg/environment)"})
				continue
			}
			sr = cleanRel(parsed.Terraform.StacksRoot)
		}
		byRoot[sr] = append(byRoot[sr], e.Name())
	}
	var groups []group
	for sr, envs := range byRoot {
		if _, err := os.Stat(filepath.Join(root, sr, blueprint.StacksDir)); err != nil && len(envs) == 0 {
			continue // the repository root holds no stacks and no environment uses it
		}
		groups = append(groups, group{stacksRoot: sr, envs: envs})
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].stacksRoot < groups[j].stacksRoot })
	if len(groups) == 0 {
		return nil, nil, fmt.Errorf("%s has no stacks/ directory and no environments: pass --root pointing at a blueprint", root)
	}
	return groups, findings, nil
}

func lintGroup(root string, g group) blueprint.Findings {
	bp, err := blueprint.Load(filepath.Join(root, g.stacksRoot))
	if err != nil {
		return blueprint.Findings{{File: path.Join(g.stacksRoot, blueprint.StacksDir), Rule: "blueprint-root", Severity: blueprint.Error,
			Message: err.Error(), Hint: "check terraform.stacks_root of " + strings.Join(g.envs, ", ")}}
	}
	var overlays []*blueprint.Overlay
	var findings blueprint.Findings
	for _, env := range g.envs {
		ov, err := blueprint.LoadOverlay(root, env)
		if err != nil {
			findings = append(findings, blueprint.Finding{File: path.Join(blueprint.EnvironmentsDir, env, blueprint.BackendFileName),
				Rule: blueprint.RuleEnvBackend, Severity: blueprint.Error, Message: err.Error(), Hint: "create backend.hcl with bucket, region and use_lockfile = true"})
			continue
		}
		overlays = append(overlays, ov)
	}
	stackFindings := blueprint.Lint(bp, overlays)
	if bp.Syntax().Errors() == 0 {
		// Reads and depends_on are judged by the linter; the graph adds every cycle (one per component).
		_, _, cycles := stackgraph.Analyze(bp)
		for _, c := range cycles {
			first := c.Edges[0]
			stackFindings = append(stackFindings, blueprint.Finding{File: first.File, Line: first.Line, Rule: "stack-cycle", Severity: blueprint.Error,
				Message: c.Error(), Hint: "remove one remote-state read or depends_on in the cycle"})
		}
	}
	for _, fd := range stackFindings {
		if g.stacksRoot != "." && (strings.HasPrefix(fd.File, blueprint.StacksDir) || strings.HasPrefix(fd.File, blueprint.ModulesDir)) {
			fd.File = path.Join(g.stacksRoot, fd.File)
		}
		findings = append(findings, fd)
	}
	return findings
}

// securityFindings runs the security suite of internal/blueprintcheck (IAM, buckets, secret values,
// provider schema) over one blueprint root; every problem is an error.
func securityFindings(root string, g group) blueprint.Findings {
	checks, err := blueprintcheck.Suite(root, filepath.Join(root, g.stacksRoot))
	if err != nil {
		if g.stacksRoot == "." || !strings.Contains(err.Error(), "parse ") {
			return blueprint.Findings{{File: g.stacksRoot, Rule: "security", Severity: blueprint.Error,
				Message: "the security checks could not read the blueprint: " + err.Error(), Hint: "fix the file named (hcl-syntax shows where)"}}
		}
		return nil
	}
	var out blueprint.Findings
	for _, c := range checks {
		for _, p := range c.Problems {
			file := p.File
			if c.Rule != "security-secret-values" && g.stacksRoot != "." {
				file = path.Join(g.stacksRoot, file)
			}
			out = append(out, blueprint.Finding{File: file, Line: p.Line, Rule: c.Rule, Severity: blueprint.Error,
				Message: p.Message, Hint: "see docs/stack-engine.md (security checks)"})
		}
	}
	return out
}

func describeGroups(groups []group) string {
	var parts []string
	for _, g := range groups {
		envs := "no environments"
		if len(g.envs) > 0 {
			envs = "environments " + strings.Join(g.envs, ", ")
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", g.stacksRoot, envs))
	}
	return strings.Join(parts, "; ")
}

func cleanRel(p string) string {
	if p == "" {
		return "."
	}
	return path.Clean(filepath.ToSlash(p))
}
