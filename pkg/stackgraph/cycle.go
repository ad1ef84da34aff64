package stackgraph

import "strings"

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

// findCycle runs a depth-first search in id order and returns the first cycle found, or nil.
func (g *Graph) findCycle() *CycleError {
	const (
		unvisited = iota
		onStack
		done
	)
	state := map[string]int{}
	var stack []string
	var found *CycleError
	var visit func(id string) bool
	visit = func(id string) bool {
		state[id] = onStack
		stack = append(stack, id)
		for _, e := range g.deps[id] {
			switch state[e.Upstream] {
			case onStack:
				found = g.cycleFrom(stack, e.Upstream)
				return true
			case unvisited:
				if visit(e.Upstream) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = done
		return false
	}
	for _, id := range g.ids {
		if state[id] == unvisited && visit(id) {
			return found
		}
	}
	return nil
}

func (g *Graph) cycleFrom(stack []string, start string) *CycleError {
	i := len(stack) - 1
	for stack[i] != start {
		i--
	}
	path := append(append([]string(nil), stack[i:]...), start)
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
