//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/platformteam/delivery/internal/sandbox"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/internal/workflows"
)

// daggerCall runs the sandbox's Dagger CLI in the repository with args and returns its output.
func daggerCall(t *testing.T, sb *sandboxtest.Sandbox, timeout time.Duration, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, sb.Vars[sandbox.EnvDaggerCLI], append([]string{"call"}, args...)...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(sb.Environ(), "NO_COLOR=1", "DAGGER_NO_NAG=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("dagger call %s: %s (%v)", strings.Join(args, " "), time.Since(start).Round(time.Second), err)
	return out.String(), err
}

// The static model of the Dagger module that checks the workflows and the docs (internal/workflows,
// read from ci/*.go) agrees with what the real CLI shows: the same functions, each with the same flags
// and the same required ones.
func TestDaggerHelpMatchesTheModuleSource(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	// docs/dagger-engine.md's block, as written: up, the env file, the engine's version, the help.
	bs := docBlocks(t, "docs/dagger-engine.md")
	if len(bs) != 1 {
		t.Fatalf("docs/dagger-engine.md: want one block run here, found %d", len(bs))
	}
	if doc := runDocBlock(t, sb, bs[0], repoRoot(t), nil); !strings.Contains(doc, "v0.19.10") || !strings.Contains(doc, "deploy") {
		t.Fatalf("docs/dagger-engine.md: the engine must answer v0.19.10 and the help list the functions:\n%s", tail(doc, 40))
	}
	m, err := workflows.LoadModule(filepath.Join(repoRoot(t), workflows.ModuleDir), workflows.ModuleObject)
	if err != nil {
		t.Fatal(err)
	}
	out, err := daggerCall(t, sb, 10*time.Minute, "--help")
	if err != nil {
		t.Fatalf("dagger call --help: %v\n%s", err, tail(out, 40))
	}
	top := workflows.ParseDaggerHelp(out)
	var fromSource []string
	for name := range m.Objects[workflows.ModuleObject] {
		fromSource = append(fromSource, name)
	}
	sort.Strings(fromSource)
	if !reflect.DeepEqual(top.Functions, fromSource) {
		t.Errorf("functions: dagger call --help lists %v, the source %v", top.Functions, fromSource)
	}
	for _, d := range workflows.CompareHelp(m.Constructor, top) {
		t.Errorf("the constructor: %s", d)
	}
	for _, name := range fromSource {
		out, err := daggerCall(t, sb, 5*time.Minute, name, "--help")
		if err != nil {
			t.Errorf("dagger call %s --help: %v\n%s", name, err, tail(out, 20))
			continue
		}
		for _, d := range workflows.CompareHelp(m.Objects[workflows.ModuleObject][name], workflows.ParseDaggerHelp(out)) {
			t.Errorf("%s: %s", name, d)
		}
	}
}
