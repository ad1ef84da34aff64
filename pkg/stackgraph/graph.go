// Package stackgraph builds the stack dependency graph of a blueprint: edges come from the remote-state
// keys each stack reads (and stack.hcl depends_on), then cycles, a deterministic order, waves of
// independent stacks, and the "changed stacks plus their dependents" selection.
package stackgraph

import (
	"fmt"
	"sort"
	"strings"

	"github.com/platformteam/delivery/pkg/blueprint"
)

// Edge says that Stack needs Upstream applied first, and why.
type Edge struct {
	Stack    string `json:"stack"`
	Upstream string `json:"upstream"`
	// Reason is `remote state "vpc"` or `stack.hcl depends_on`.
	Reason string `json:"reason"`
	File   string `json:"file"`
	Line   int    `json:"line"`
}

// Graph is the stack DAG. It is immutable after Build.
type Graph struct {
	ids  []string
	deps map[string][]Edge // stack -> edges to its upstreams, sorted by upstream
	rdep map[string][]string
}

// Problem is one reason the graph cannot be trusted for ordering: a remote-state read that breaks the
// key scheme or names a missing stack, a depends_on naming a missing stack, or a cycle.
type Problem struct {
	File  string `json:"file"`
	Line  int    `json:"line"`
	Stack string `json:"stack"`
	// Rule is the linter rule the problem belongs to (remote-state-key, remote-state-target, stack-cycle, ...).
	Rule    string `json:"rule"`
	Message string `json:"message"`
	Hint    string `json:"hint"`
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: stack %s: %s (fix: %s)", p.File, p.Line, p.Stack, p.Message, p.Hint)
}

// ProblemsError lists every problem found in one pass (none hides another).
type ProblemsError struct {
	Problems []Problem
	Cycles   []*CycleError
}

func (e *ProblemsError) Error() string {
	var lines []string
	for _, p := range e.Problems {
		lines = append(lines, p.String())
	}
	for _, c := range e.Cycles {
		lines = append(lines, c.Error())
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes the cycles to errors.As.
func (e *ProblemsError) Unwrap() []error {
	var out []error
	for _, c := range e.Cycles {
		out = append(out, c)
	}
	return out
}

// Analyze derives every edge the code shows, whatever form its remote-state reads take (edges are kept
// even where a read also breaks a convention), and returns every problem and every cycle (one per
// strongly connected component) in one pass. Order and Waves need a graph without cycles: use Build.
func Analyze(bp *blueprint.Blueprint) (*Graph, []Problem, []*CycleError) {
	g := &Graph{ids: bp.StackIDs(), deps: map[string][]Edge{}, rdep: map[string][]string{}}
	var problems []Problem
	for _, id := range g.ids {
		st := bp.Stacks[id]
		seen := map[string]bool{}
		add := func(e Edge) {
			if seen[e.Upstream] {
				return
			}
			seen[e.Upstream] = true
			g.deps[id] = append(g.deps[id], e)
			g.rdep[e.Upstream] = append(g.rdep[e.Upstream], id)
		}
		for _, rs := range st.RemoteStates {
			read := blueprint.ReadRemoteState(st.Config, rs, bp.HasStack)
			at := Problem{File: rs.Range.Filename, Line: rs.Range.Start.Line, Stack: id}
			for _, p := range read.Problems {
				at.Rule, at.Message, at.Hint = p.Rule, p.Message, p.Hint
				problems = append(problems, at)
			}
			switch {
			case read.Edge(id, bp.HasStack):
				add(Edge{Stack: id, Upstream: read.Stack, Reason: fmt.Sprintf("remote state %q", rs.Name), File: rs.Range.Filename, Line: rs.Range.Start.Line})
			case read.Stack != "":
				at.Rule, at.Message, at.Hint = blueprint.RuleRemoteStateTarget,
					fmt.Sprintf("remote state %q names stack %q, which does not exist under stacks/", rs.Name, read.Stack), "fix the stack path in the key or create the stack"
				problems = append(problems, at)
			}
		}
		for _, d := range st.DependsOn {
			if !bp.HasStack(d.Stack) || d.Stack == id {
				problems = append(problems, Problem{File: d.File, Line: d.Line, Stack: id, Rule: blueprint.RuleStackDependsOn,
					Message: fmt.Sprintf("stack.hcl depends_on names stack %q, which does not exist under stacks/", d.Stack), Hint: "use a stack id such as shared/iam"})
				continue
			}
			add(Edge{Stack: id, Upstream: d.Stack, Reason: "stack.hcl depends_on", File: d.File, Line: d.Line})
		}
		sort.Slice(g.deps[id], func(i, j int) bool { return g.deps[id][i].Upstream < g.deps[id][j].Upstream })
	}
	for k := range g.rdep {
		sort.Strings(g.rdep[k])
	}
	return g, problems, g.findCycles()
}

// Build derives the graph and refuses it, listing every problem and cycle at once, when any read breaks
// the key scheme, names a missing stack, or closes a cycle, so nothing runs on a wrong order.
func Build(bp *blueprint.Blueprint) (*Graph, error) {
	g, problems, cycles := Analyze(bp)
	if len(problems) > 0 || len(cycles) > 0 {
		return nil, &ProblemsError{Problems: problems, Cycles: cycles}
	}
	return g, nil
}

// IDs returns every stack id, sorted.
func (g *Graph) IDs() []string { return append([]string(nil), g.ids...) }

// Has reports whether the stack exists.
func (g *Graph) Has(id string) bool { _, ok := g.index()[id]; return ok }

func (g *Graph) index() map[string]int {
	m := make(map[string]int, len(g.ids))
	for i, id := range g.ids {
		m[id] = i
	}
	return m
}

// Upstreams returns the stacks id reads from or depends on (direct only), sorted.
func (g *Graph) Upstreams(id string) []string {
	out := make([]string, 0, len(g.deps[id]))
	for _, e := range g.deps[id] {
		out = append(out, e.Upstream)
	}
	return out
}

// Edges returns id's upstream edges with their reasons.
func (g *Graph) Edges(id string) []Edge { return append([]Edge(nil), g.deps[id]...) }

// Downstreams returns the stacks that read id directly, sorted.
func (g *Graph) Downstreams(id string) []string { return append([]string(nil), g.rdep[id]...) }
