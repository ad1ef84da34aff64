package stackgraph

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/platformteam/delivery/pkg/blueprint"
)

// The local environment runs sandbox/blueprint instead of the real stacks, so the stand-ins must keep
// the real blueprint's stack ids and edges; otherwise `stacks apply --env local` would test another order.
func TestSandboxBlueprintMirrorsTheRealStackGraph(t *testing.T) {
	edges := func(root string) map[string][]string {
		t.Helper()
		bp, err := blueprint.Load(filepath.Join("..", "..", root))
		if err != nil {
			t.Fatal(err)
		}
		g, err := Build(bp)
		if err != nil {
			t.Fatalf("%s: %v", root, err)
		}
		out := map[string][]string{}
		for _, id := range g.IDs() {
			out[id] = g.Upstreams(id)
		}
		return out
	}
	real, sandbox := edges("."), edges("sandbox/blueprint")
	if !reflect.DeepEqual(real, sandbox) {
		t.Fatalf("sandbox/blueprint no longer mirrors stacks/:\nreal:    %v\nsandbox: %v\nupdate the stand-ins (sandbox/blueprint/README.md)", real, sandbox)
	}
}
