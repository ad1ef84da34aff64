package stackgraph

import (
	"sort"
	"strings"
)

// CycleError reports a dependency cycle as the path that closes it.
type CycleError struct {
	// Path starts and ends at the same stack: a -> b -> a.
	Path  []string
	Edges []Edge
}

func (e *CycleError) Error() string {
	var b strings.Builder
	b.WriteString("dependency cycle: " + strings.Join(e.Path, " -> "))
	for _, edge := range e.Edges {
		b.WriteString("\n  " + edge.Stack + " reads " + edge.Upstream + " (" + edge.Reason + " at " + edge.File + ")")
	}
	b.WriteString("\nremove one of these reads (or move the shared value to a stack both can read)")
	return b.String()
}

// findCycles returns one cycle per strongly connected component that has one (Tarjan's algorithm, in id
// order), so every independent cycle is reported in one run. Each cycle starts at its smallest id.
func (g *Graph) findCycles() []*CycleError {
	index, low := map[string]int{}, map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var comps [][]string
	next := 0
	var strong func(id string)
	strong = func(id string) {
		index[id], low[id] = next, next
		next++
		stack = append(stack, id)
		onStack[id] = true
		for _, e := range g.deps[id] {
			if _, seen := index[e.Upstream]; !seen {
				strong(e.Upstream)
				low[id] = min(low[id], low[e.Upstream])
			} else if onStack[e.Upstream] {
				low[id] = min(low[id], index[e.Upstream])
			}
		}
		if low[id] != index[id] {
			return
		}
		var comp []string
		for {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[top] = false
			comp = append(comp, top)
			if top == id {
				break
			}
		}
		if len(comp) > 1 {
			comps = append(comps, comp)
		}
	}
	for _, id := range g.ids {
		if _, seen := index[id]; !seen {
			strong(id)
		}
	}
	var out []*CycleError
	for _, comp := range comps {
		in := map[string]bool{}
		for _, id := range comp {
			in[id] = true
		}
		sort.Strings(comp)
		out = append(out, g.cycleWithin(comp[0], in))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path[0] < out[j].Path[0] })
	return out
}

// cycleWithin finds a cycle through start using only stacks of its component (depth first, id order).
func (g *Graph) cycleWithin(start string, in map[string]bool) *CycleError {
	visited := map[string]bool{}
	var stack []string
	var found *CycleError
	var visit func(id string) bool
	visit = func(id string) bool {
		visited[id] = true
		stack = append(stack, id)
		for _, e := range g.deps[id] {
			if !in[e.Upstream] {
				continue
			}
			if e.Upstream == start {
				found = g.cycleOf(append(append([]string(nil), stack...), start))
				return true
			}
			if !visited[e.Upstream] && visit(e.Upstream) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		return false
	}
	visit(start)
	return found
}

// cycleOf names the edges along a path that starts and ends at the same stack.
func (g *Graph) cycleOf(path []string) *CycleError {
	var edges []Edge
	for k := 0; k+1 < len(path); k++ {
		for _, e := range g.deps[path[k]] {
			if e.Upstream == path[k+1] {
				edges = append(edges, e)
			}
		}
	}
	return &CycleError{Path: path, Edges: edges}
}
