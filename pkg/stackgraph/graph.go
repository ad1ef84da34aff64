// Package stackgraph builds the stack dependency graph of a blueprint: edges come from the remote-state
// keys each stack reads (and stack.hcl depends_on), then cycles, a deterministic order, waves of
// independent stacks, and the "changed stacks plus their dependents" selection.
package stackgraph

import (
	"errors"
	"fmt"
	"sort"

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

// Build derives the graph from the blueprint. It refuses remote-state reads that break the key scheme or
// name a missing stack, and cycles (the error names the cycle), so nothing runs on a wrong order.
func Build(bp *blueprint.Blueprint) (*Graph, error) {
	g := &Graph{ids: bp.StackIDs(), deps: map[string][]Edge{}, rdep: map[string][]string{}}
	var errs []error
	for _, id := range g.ids {
		st := bp.Stacks[id]
		seen := map[string]bool{}
		add := func(e Edge) {
			if _, ok := bp.Stacks[e.Upstream]; !ok || e.Upstream == id {
				errs = append(errs, fmt.Errorf("%s:%d: stack %s: %s names stack %q, which does not exist under stacks/", e.File, e.Line, id, e.Reason, e.Upstream))
				return
			}
			if seen[e.Upstream] {
				return
			}
			seen[e.Upstream] = true
			g.deps[id] = append(g.deps[id], e)
			g.rdep[e.Upstream] = append(g.rdep[e.Upstream], id)
		}
		for _, rs := range st.RemoteStates {
			target, err := blueprint.ResolveRemoteState(rs)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: stack %s: %w (write %s)", rs.Range.Filename, rs.Range.Start.Line, id, err, remoteStateHint(err)))
				continue
			}
			add(Edge{Stack: id, Upstream: target, Reason: fmt.Sprintf("remote state %q", rs.Name), File: rs.Range.Filename, Line: rs.Range.Start.Line})
		}
		for _, d := range st.DependsOn {
			add(Edge{Stack: id, Upstream: d.Stack, Reason: "stack.hcl depends_on", File: d.File, Line: d.Line})
		}
		sort.Slice(g.deps[id], func(i, j int) bool { return g.deps[id][i].Upstream < g.deps[id][j].Upstream })
	}
	for k := range g.rdep {
		sort.Strings(g.rdep[k])
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cycle := g.findCycle(); cycle != nil {
		return nil, cycle
	}
	return g, nil
}

func remoteStateHint(err error) string {
	var p *blueprint.RemoteStateProblem
	if errors.As(err, &p) {
		return p.Hint
	}
	return "the key scheme <env>/<stack>/terraform.tfstate"
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
