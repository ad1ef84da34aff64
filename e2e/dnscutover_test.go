//go:build e2e

package e2e

import (
	"strings"
	"testing"

	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/internal/workflows"
)

// TestDNSCutoverWeightStepOnTheStandIns runs the DNS cutover runbook's ECS weight step
// (docs/runbooks/dns-cutover.md) as written with --env local. The local environment's stacks are
// sandbox/blueprint's provider-free stand-ins with the real ids and remote-state reads, so this checks
// the documented commands, flags and order against the sandbox's state bucket; what the real
// apps/demo-app/ecs does with the weight (a Route 53 record) needs the AWS provider and a real account.
// The stack's upstreams are applied first, as in an environment that exists.
func TestDNSCutoverWeightStepOnTheStandIns(t *testing.T) {
	sb := sandboxtest.Env(t)
	dir := cloneRepo(t, repoRoot(t), func(string) {})
	// Setup, not from the runbook: the stand-ins the weight step's stack reads remote state from.
	runDocBlock(t, sb, workflows.DocBlock{File: "(setup) every local stand-in applied", Lang: "sh",
		Text: "go run ./cmd/stacks apply --env local"}, dir, nil)

	bs := docBlocks(t, "docs/runbooks/dns-cutover.md")
	if len(bs) != 1 {
		t.Fatalf("dns-cutover.md: want the ECS weight step only, found %d blocks", len(bs))
	}
	out := runDocBlock(t, sb, bs[0], dir, map[string]string{"env": "local"})
	for _, want := range []string{"stacks plan · local", "stacks apply · local", "`apps/demo-app/ecs`"} {
		if !strings.Contains(out, want) {
			t.Fatalf("the weight step must plan and apply apps/demo-app/ecs (missing %q):\n%s", want, tail(out, 40))
		}
	}
	if strings.Contains(out, "upstream missing") {
		t.Fatalf("the weight step ran before its upstreams:\n%s", tail(out, 40))
	}
}
