package stackgraph

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path"
	"sort"
	"strings"

	"github.com/platformteam/delivery/pkg/blueprint"
)

// Change says why a stack was selected by a change set.
type Change struct {
	Stack  string `json:"stack"`
	Reason string `json:"reason"`
}

// Affected maps changed files (relative to the repository root, slash-separated) to stacks: a file in a
// stack changes that stack, a file in modules/<m> changes every stack using m (directly or through other
// modules), a file in environments/<env> changes every stack of that environment. The result adds every
// dependent of a changed stack and is in Order; reasons explain each selection.
func Affected(g *Graph, bp *blueprint.Blueprint, stacksRoot, env string, changed []string) ([]string, []Change) {
	prefix := ""
	if stacksRoot != "" && stacksRoot != "." {
		prefix = strings.Trim(path.Clean(stacksRoot), "/") + "/"
	}
	users := moduleUsers(bp)
	reasons := map[string]string{}
	mark := func(id, why string) {
		if _, ok := reasons[id]; !ok {
			reasons[id] = why
		}
	}
	envDir := blueprint.EnvironmentsDir + "/" + env + "/"
	for _, f := range changed {
		f = path.Clean(f)
		switch {
		case strings.HasPrefix(f, envDir):
			for _, id := range g.ids {
				mark(id, "environment file "+f)
			}
		case strings.HasPrefix(f, prefix+blueprint.StacksDir+"/"):
			if id := owningStack(bp, strings.TrimPrefix(f, prefix)); id != "" {
				mark(id, "changed "+f)
			}
		case strings.HasPrefix(f, prefix+blueprint.ModulesDir+"/"):
			rel := strings.TrimPrefix(f, prefix)
			for name, stacks := range users {
				if strings.HasPrefix(rel, blueprint.ModulesDir+"/"+name+"/") {
					for _, id := range stacks {
						mark(id, "uses modules/"+name+" ("+f+")")
					}
				}
			}
		}
	}
	var direct []string
	for id := range reasons {
		direct = append(direct, id)
	}
	selected := g.Dependents(direct)
	var changes []Change
	for _, id := range selected {
		why, ok := reasons[id]
		if !ok {
			why = "reads " + strings.Join(intersect(g.Upstreams(id), selected), ", ")
		}
		changes = append(changes, Change{Stack: id, Reason: why})
	}
	return selected, changes
}

// owningStack is the stack whose directory is the longest prefix of rel ("" when none).
func owningStack(bp *blueprint.Blueprint, rel string) string {
	best := ""
	for id, st := range bp.Stacks {
		if strings.HasPrefix(rel, st.Dir+"/") && len(id) > len(best) {
			best = id
		}
	}
	return best
}

func moduleUsers(bp *blueprint.Blueprint) map[string][]string {
	users := map[string][]string{}
	for _, id := range bp.StackIDs() {
		for _, m := range bp.ModulesUsedBy(bp.Stacks[id]) {
			users[m.Name] = append(users[m.Name], id)
		}
	}
	return users
}

func intersect(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if in[x] {
			out = append(out, x)
		}
	}
	return out
}

// GitChangedFiles lists files that differ between ref and the working tree of the repository at repoRoot,
// plus untracked files, relative to the repository root.
func GitChangedFiles(ctx context.Context, repoRoot, ref string) ([]string, error) {
	if strings.HasPrefix(ref, "-") {
		return nil, fmt.Errorf("--changed-since %q: a git ref cannot start with '-'", ref)
	}
	if _, err := git(ctx, repoRoot, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err != nil {
		return nil, fmt.Errorf("--changed-since %q is not a commit in %s: use a branch, tag or sha (fetch it first in shallow CI clones)", ref, repoRoot)
	}
	diff, err := git(ctx, repoRoot, "diff", "--name-only", "--no-renames", ref, "--")
	if err != nil {
		return nil, err
	}
	untracked, err := git(ctx, repoRoot, "ls-files", "--others", "--exclude-standard")
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, l := range append(lines(diff), lines(untracked)...) {
		set[l] = true
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out, nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
