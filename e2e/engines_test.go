//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
)

// The engines without Dagger, as the README and docs/stack-engine.md show them, in a copy of the
// repository: lint, the graph, a plan bundle of the local environment applied exactly, and the stack
// runner's benchmarks.
func TestEnginesWithoutDagger(t *testing.T) {
	sb := sandboxtest.Env(t)
	dir := cloneRepo(t, repoRoot(t), func(string) {})

	readme := docBlocks(t, "README.md")
	if len(readme) != 1 {
		t.Fatalf("README.md: want one block run here, found %d", len(readme))
	}
	outs := runDocBlockLines(t, sb, readme[0], dir, nil)
	if len(outs) != 4 {
		t.Fatalf("README.md: want 4 commands (lint, graph, plan, apply), found %d", len(outs))
	}
	if !strings.Contains(outs[1], "shared/vpc") || !strings.Contains(outs[1], "apps/demo-app/ecs") {
		t.Errorf("graph --env staging must list the stacks in waves:\n%s", tail(outs[1], 30))
	}
	if _, err := os.Stat(filepath.Join(dir, ".delivery", "plans", "local", "bundle.json")); err != nil {
		t.Fatalf("plan --env local must write the bundle the next command applies: %v\n%s", err, tail(outs[2], 30))
	}
	if !strings.Contains(outs[3], "apply") {
		t.Errorf("apply of the bundle must report its stacks:\n%s", tail(outs[3], 30))
	}

	bench := docBlocks(t, "docs/stack-engine.md")
	if len(bench) != 1 {
		t.Fatalf("docs/stack-engine.md: want one block run here, found %d", len(bench))
	}
	if out := runDocBlock(t, sb, bench[0], dir, nil); !strings.Contains(out, "Benchmark") || !strings.Contains(out, "ok ") {
		t.Errorf("the stack runner's benchmarks must run and print their tables:\n%s", tail(out, 40))
	}
}
