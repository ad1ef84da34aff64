package stackgraph

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Text renders the order and the waves for people.
func (g *Graph) Text() string {
	var b strings.Builder
	b.WriteString("order:\n")
	for i, id := range g.Order() {
		fmt.Fprintf(&b, "  %2d. %s", i+1, id)
		if ups := g.Upstreams(id); len(ups) > 0 {
			fmt.Fprintf(&b, "  (after %s)", strings.Join(ups, ", "))
		}
		b.WriteString("\n")
	}
	b.WriteString("waves:\n")
	for i, w := range g.Waves() {
		fmt.Fprintf(&b, "  wave %d: %s\n", i, strings.Join(w, ", "))
	}
	return b.String()
}

// DOT renders the graph for Graphviz, edges pointing from a stack to what it reads.
func (g *Graph) DOT() string {
	var b strings.Builder
	b.WriteString("digraph stacks {\n  rankdir=LR;\n  node [shape=box];\n")
	for _, id := range g.Order() {
		fmt.Fprintf(&b, "  %q;\n", id)
	}
	for _, id := range g.Order() {
		for _, e := range g.deps[id] {
			fmt.Fprintf(&b, "  %q -> %q [label=%q];\n", id, e.Upstream, e.Reason)
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// JSONView is the machine-readable form of the graph.
type JSONView struct {
	Order []string   `json:"order"`
	Waves [][]string `json:"waves"`
	Edges []Edge     `json:"edges"`
}

// JSON renders order, waves and edges as indented JSON.
func (g *Graph) JSON() ([]byte, error) {
	v := JSONView{Order: g.Order(), Waves: g.Waves(), Edges: []Edge{}}
	for _, id := range v.Order {
		v.Edges = append(v.Edges, g.deps[id]...)
	}
	return json.MarshalIndent(v, "", "  ")
}
