package stackgraph

import "sort"

// Order returns the stacks in a deterministic topological order: upstreams first, ties by wave then id.
func (g *Graph) Order() []string {
	var out []string
	for _, w := range g.Waves() {
		out = append(out, w...)
	}
	return out
}

// Waves groups stacks by depth: wave 0 reads nothing, wave n reads at least one stack of wave n-1 and
// nothing later. Stacks inside a wave are independent of each other. Each wave is sorted by id.
func (g *Graph) Waves() [][]string {
	depth := g.depths()
	maxDepth := -1
	for _, d := range depth {
		maxDepth = max(maxDepth, d)
	}
	waves := make([][]string, maxDepth+1)
	for _, id := range g.ids {
		waves[depth[id]] = append(waves[depth[id]], id)
	}
	for _, w := range waves {
		sort.Strings(w)
	}
	return waves
}

func (g *Graph) depths() map[string]int {
	depth := map[string]int{}
	var walk func(id string) int
	walk = func(id string) int {
		if d, ok := depth[id]; ok {
			return d
		}
		d := 0
		for _, e := range g.deps[id] {
			d = max(d, walk(e.Upstream)+1)
		}
		depth[id] = d
		return d
	}
	for _, id := range g.ids {
		walk(id)
	}
	return depth
}

// Dependents returns the given stacks plus every stack that reads them, transitively, in Order.
func (g *Graph) Dependents(ids []string) []string {
	return g.closure(ids, g.Downstreams)
}

// Dependencies returns the given stacks plus everything they read, transitively, in Order.
func (g *Graph) Dependencies(ids []string) []string {
	return g.closure(ids, g.Upstreams)
}

func (g *Graph) closure(ids []string, next func(string) []string) []string {
	in := map[string]bool{}
	var visit func(id string)
	visit = func(id string) {
		if in[id] {
			return
		}
		in[id] = true
		for _, n := range next(id) {
			visit(n)
		}
	}
	for _, id := range ids {
		visit(id)
	}
	var out []string
	for _, id := range g.Order() {
		if in[id] {
			out = append(out, id)
		}
	}
	return out
}

// Sort returns ids in Order (unknown ids are dropped).
func (g *Graph) Sort(ids []string) []string {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var out []string
	for _, id := range g.Order() {
		if want[id] {
			out = append(out, id)
		}
	}
	return out
}
