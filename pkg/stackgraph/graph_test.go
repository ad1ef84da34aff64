package stackgraph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/platformteam/delivery/pkg/blueprint"
)

// tree writes stacks that read each other: reads maps a stack id to the stacks it reads.
func tree(t *testing.T, reads map[string][]string, extra map[string]string) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{}
	for id, ups := range reads {
		body := "terraform {\n  backend \"s3\" {}\n}\n"
		for i, up := range ups {
			body += fmt.Sprintf("data \"terraform_remote_state\" \"r%d\" {\n  backend = \"s3\"\n  config  = merge(var.remote_state, { key = \"${var.environment}/%s/terraform.tfstate\" })\n}\n", i, up)
		}
		files["stacks/"+id+"/main.tf"] = body
	}
	for k, v := range extra {
		files[k] = v
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func build(t *testing.T, root string) (*Graph, *blueprint.Blueprint) {
	t.Helper()
	bp, err := blueprint.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Build(bp)
	if err != nil {
		t.Fatal(err)
	}
	return g, bp
}

// diamond: net <- left, right <- join; chain: join <- one <- two; plus a lone stack.
var diamondChain = map[string][]string{
	"core/net":   nil,
	"core/left":  {"core/net"},
	"core/right": {"core/net"},
	"core/join":  {"core/left", "core/right"},
	"app/one":    {"core/join"},
	"app/two":    {"app/one"},
	"misc/lone":  nil,
}

func TestOrderAndWavesOfDiamondPlusChain(t *testing.T) {
	g, _ := build(t, tree(t, diamondChain, nil))
	wantWaves := [][]string{{"core/net", "misc/lone"}, {"core/left", "core/right"}, {"core/join"}, {"app/one"}, {"app/two"}}
	if got := g.Waves(); !reflect.DeepEqual(got, wantWaves) {
		t.Fatalf("waves %v, want %v", got, wantWaves)
	}
	wantOrder := []string{"core/net", "misc/lone", "core/left", "core/right", "core/join", "app/one", "app/two"}
	if got := g.Order(); !reflect.DeepEqual(got, wantOrder) {
		t.Fatalf("order %v, want %v", got, wantOrder)
	}
	if got := g.Dependents([]string{"core/left"}); !reflect.DeepEqual(got, []string{"core/left", "core/join", "app/one", "app/two"}) {
		t.Fatalf("dependents %v", got)
	}
	if got := g.Dependencies([]string{"app/one"}); !reflect.DeepEqual(got, []string{"core/net", "core/left", "core/right", "core/join", "app/one"}) {
		t.Fatalf("dependencies %v", got)
	}
}

func TestDependsOnAddsAnEdge(t *testing.T) {
	root := tree(t, map[string][]string{"a/x": nil, "a/y": nil}, map[string]string{"stacks/a/y/stack.hcl": "depends_on = [\"a/x\"]\n"})
	g, _ := build(t, root)
	if got := g.Edges("a/y"); len(got) != 1 || got[0].Upstream != "a/x" || got[0].Reason != "stack.hcl depends_on" {
		t.Fatalf("edges %+v", got)
	}
}

func TestBuildPrintsTheCycle(t *testing.T) {
	bp, err := blueprint.Load(tree(t, map[string][]string{"c/a": {"c/b"}, "c/b": {"c/c"}, "c/c": {"c/a"}, "c/d": {"c/a"}}, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(bp)
	var cyc *CycleError
	if !errors.As(err, &cyc) {
		t.Fatalf("want a cycle error, got %v", err)
	}
	if got := strings.Join(cyc.Path, " -> "); got != "c/a -> c/b -> c/c -> c/a" {
		t.Fatalf("cycle path %q", got)
	}
	if !strings.Contains(err.Error(), "stacks/c/b/main.tf") {
		t.Fatalf("cycle error should name the files: %v", err)
	}
}

func TestBuildRejectsMissingStacksAndBrokenKeys(t *testing.T) {
	root := tree(t, map[string][]string{"a/x": {"a/missing"}}, map[string]string{
		"stacks/a/y/main.tf": "data \"terraform_remote_state\" \"p\" {\n  backend = \"s3\"\n  config  = merge(var.remote_state, { key = \"prod/a/x/terraform.tfstate\" })\n}\n",
	})
	bp, err := blueprint.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(bp)
	if err == nil || !strings.Contains(err.Error(), `"a/missing", which does not exist`) || !strings.Contains(err.Error(), "stacks/a/y/main.tf:1") {
		t.Fatalf("got %v", err)
	}
}

func TestAffectedAddsDependentsAndModuleUsers(t *testing.T) {
	reads := map[string][]string{"core/net": nil, "core/app": {"core/net"}, "core/other": nil}
	root := tree(t, reads, map[string]string{
		"modules/label/main.tf":    "locals {\n  a = 1\n}\n",
		"stacks/core/other/mod.tf": "module \"l\" {\n  source = \"../../../modules/label\"\n}\n",
	})
	g, bp := build(t, root)
	cases := map[string]struct {
		root    string
		changed []string
		want    []string
	}{
		"stack file":         {".", []string{"stacks/core/net/main.tf"}, []string{"core/net", "core/app"}},
		"module":             {".", []string{"modules/label/main.tf"}, []string{"core/other"}},
		"this environment":   {".", []string{"environments/dev/values.tfvars"}, []string{"core/net", "core/other", "core/app"}},
		"other environment":  {".", []string{"environments/prod/values.tfvars"}, nil},
		"unrelated":          {".", []string{"README.md", "app/main.go"}, nil},
		"under a stacksroot": {"sandbox/bp", []string{"sandbox/bp/stacks/core/app/main.tf", "stacks/core/net/main.tf"}, []string{"core/app"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, reasons := Affected(g, bp, tc.root, "dev", tc.changed)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v want %v", got, tc.want)
			}
			if len(reasons) != len(got) {
				t.Fatalf("reasons %v", reasons)
			}
		})
	}
	_, reasons := Affected(g, bp, ".", "dev", []string{"stacks/core/net/main.tf"})
	if reasons[1].Stack != "core/app" || reasons[1].Reason != "reads core/net" {
		t.Fatalf("dependent reason %+v", reasons[1])
	}
}

func TestRenderings(t *testing.T) {
	g, _ := build(t, tree(t, diamondChain, nil))
	if dot := g.DOT(); !strings.Contains(dot, `"core/join" -> "core/left"`) || !strings.HasPrefix(dot, "digraph stacks {") {
		t.Fatalf("dot:\n%s", dot)
	}
	raw, err := g.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var v JSONView
	if err := json.Unmarshal(raw, &v); err != nil || len(v.Order) != 7 || len(v.Waves) != 5 || len(v.Edges) != 6 {
		t.Fatalf("json %s (%v)", raw, err)
	}
	if txt := g.Text(); !strings.Contains(txt, "wave 1: core/left, core/right") || !strings.Contains(txt, "core/join  (after core/left, core/right)") {
		t.Fatalf("text:\n%s", txt)
	}
}

func TestGitChangedFiles(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required for --changed-since")
	}
	dir := t.TempDir()
	gitRun := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.email=t@example.invalid", "-c", "user.name=t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitRun("init", "-q")
	write("stacks/a/main.tf", "a")
	write("stacks/b/main.tf", "b")
	gitRun("add", ".")
	gitRun("commit", "-q", "-m", "one")
	write("stacks/a/main.tf", "changed")
	write("stacks/c/main.tf", "new, untracked")
	got, err := GitChangedFiles(context.Background(), dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []string{"stacks/a/main.tf", "stacks/c/main.tf"}) {
		t.Fatalf("got %v", got)
	}
	if _, err := GitChangedFiles(context.Background(), dir, "no-such-ref"); err == nil || !strings.Contains(err.Error(), "not a commit") {
		t.Fatalf("want bad ref error, got %v", err)
	}
}

// TestBuildReportsEveryProblemAndCycleAtOnce: two independent cycles, a missing stack and a hard-coded
// environment, all in one error; the edges behind the broken keys are still derived.
func TestBuildReportsEveryProblemAndCycleAtOnce(t *testing.T) {
	root := tree(t, map[string][]string{"c/a": {"c/b"}, "c/b": {"c/a"}, "d/x": {"d/y"}, "d/y": {"d/x"}, "e/m": {"e/gone"}}, map[string]string{
		"stacks/e/n/main.tf": "data \"terraform_remote_state\" \"p\" {\n  backend = \"s3\"\n  config  = { key = \"prod/c/a/terraform.tfstate\" }\n}\n",
	})
	bp, err := blueprint.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	g, problems, cycles := Analyze(bp)
	if len(cycles) != 2 || cycles[0].Path[0] != "c/a" || cycles[1].Path[0] != "d/x" {
		t.Fatalf("cycles %v", cycles)
	}
	if up := g.Upstreams("e/n"); len(up) != 1 || up[0] != "c/a" {
		t.Fatalf("the hard-coded key still orders e/n after c/a: %v", up)
	}
	rules := map[string]bool{}
	for _, p := range problems {
		rules[p.Rule] = true
	}
	for _, r := range []string{blueprint.RuleRemoteStateTarget, blueprint.RuleRemoteStateKey, blueprint.RuleRemoteStateConfig} {
		if !rules[r] {
			t.Errorf("no %s problem in %v", r, problems)
		}
	}
	_, err = Build(bp)
	var cyc *CycleError
	if !errors.As(err, &cyc) || strings.Count(err.Error(), "dependency cycle") != 2 || !strings.Contains(err.Error(), `"e/gone"`) {
		t.Fatalf("Build error: %v", err)
	}
}
