//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/pkg/blueprint"
	"github.com/platformteam/delivery/pkg/stackgraph"
)

// BenchmarkStacksThroughDagger measures `dagger call plan` and `dagger call apply` (the container
// executor) against the critical path: the sum of the stacks' own durations along the longest chain of
// the graph. Every stack changes on every apply (the Owner tag moves), so every apply does real work;
// the plan after it plans every stack (no changes left) against applied upstreams.
// Two blueprints: the sandbox's 12 stand-ins, and a wide generated fixture (36 stacks in 6 waves).
// scripts/bench-stacks.sh runs it; the numbers are recorded in docs/stack-engine.md. With
// BENCH_STACKS_LOGS=DIR each call's whole output is kept there (DIR/<env>-<action>-<n>.log).
func BenchmarkStacksThroughDagger(b *testing.B) {
	sb := sandboxtest.Env(b)
	if sb.Vars["SANDBOX_DAGGER"] == "" {
		b.Fatal("sandbox component dagger is not up: run `go run ./cmd/sandbox up --with-dagger`")
	}
	type row struct {
		blueprint, action string
		stacks            int
		wall, engine, cp  time.Duration
		path              []string
		times             stackTimes
	}
	// The first call after a change of the Go sources builds the stacks CLI into the toolbox, and
	// Dagger reuses that build for any checkout of the same sources: a warm-up plan, measured and
	// printed apart, so that the rows measure the executor and not a one-off build.
	warm := cloneRepo(b, repoRoot(b), func(string) {})
	warmStart := time.Now()
	warmBundle := filepath.Join(b.TempDir(), "warm-up")
	if out, err := daggerLocalEnv(b, sb, warm, "local", "plan", "export", "--path", warmBundle); err != nil {
		b.Fatalf("warm-up plan: %v\n%s", err, tail(out, 40))
	}
	warmWall := time.Since(warmStart)
	warmTimes := stackDurations(b, bundleSummary(b, warmBundle))
	var rows []row
	for _, bp := range []struct {
		name, env string
		extra     func(dir string)
	}{
		{"sandbox/blueprint (12 stacks)", "local", nil},
		{"wide fixture (36 stacks, 6 waves)", "bench", writeWideFixture},
	} {
		for i := 0; i < b.N; i++ {
			owner := fmt.Sprintf("bench-%d", time.Now().UnixNano())
			dir := cloneRepo(b, repoRoot(b), func(dir string) {
				setOwner(b, dir, "local", owner)
				if bp.extra != nil {
					bp.extra(dir)
					setOwner(b, dir, "bench", owner)
				}
			})
			g := graphOf(b, dir, bp.env)
			// apply first: every stack changes (the Owner tag moved), and on a fresh state (the wide
			// fixture's first run) a plan would leave every stack below the first wave pending its
			// upstream's apply. The plan after it plans every stack against applied upstreams.
			for _, action := range []string{"apply", "plan"} {
				args := []string{action}
				if action == "plan" {
					args = append(args, "export", "--path", filepath.Join(b.TempDir(), "bundle"))
				}
				start := time.Now()
				out, err := daggerLocalEnv(b, sb, dir, bp.env, args...)
				wall := time.Since(start)
				if logs := os.Getenv("BENCH_STACKS_LOGS"); logs != "" {
					// The whole call's output (with --progress=plain: the engine's own timing of every step).
					name := filepath.Join(logs, fmt.Sprintf("%s-%s-%d.log", bp.env, action, i))
					if werr := os.WriteFile(name, []byte(out), 0o644); werr != nil {
						b.Fatal(werr)
					}
				}
				if err != nil {
					b.Fatalf("%s %s: %v\n%s", bp.env, action, err, tail(out, 40))
				}
				summary := out
				if action == "plan" {
					summary = bundleSummary(b, args[3])
				}
				times := stackDurations(b, summary)
				cp, path := criticalPath(g, times.durations)
				rows = append(rows, row{bp.name, action, len(times.durations), wall, times.engine, cp, path, times})
			}
		}
	}
	fmt.Println()
	fmt.Printf("warm-up (a plan of the sandbox blueprint in its own clone; it builds the stacks CLI if the Go sources changed since the engine last built it): call %.1f s, account guard %.1f s\n",
		warmWall.Seconds(), warmTimes.guard.Seconds())
	fmt.Println()
	fmt.Println("| blueprint | action | stacks | dagger call wall | engine wall | critical path | engine / critical path | call / critical path |")
	fmt.Println("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range rows {
		fmt.Printf("| %s | %s | %d | %.1f s | %.1f s | %.1f s | %.2fx | %.2fx |\n", r.blueprint, r.action, r.stacks,
			r.wall.Seconds(), r.engine.Seconds(), r.cp.Seconds(), r.engine.Seconds()/r.cp.Seconds(), r.wall.Seconds()/r.cp.Seconds())
	}
	for _, r := range rows {
		fmt.Printf("critical path of %s %s: %s\n", r.blueprint, r.action, strings.Join(r.path, " → "))
	}
	fmt.Println()
	fmt.Println("Where the time outside the critical path goes:")
	fmt.Println()
	fmt.Println("| blueprint | action | call outside the engine | account guard | guard → first stack of the path | between stacks of the path | after its last stack |")
	fmt.Println("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range rows {
		first, between, after := r.times.waits(r.path)
		fmt.Printf("| %s | %s | %.1f s | %.1f s | %.1f s | %.1f s | %.1f s |\n", r.blueprint, r.action,
			(r.wall - r.engine).Seconds(), r.times.guard.Seconds(), (first - r.times.guard).Seconds(), between.Seconds(), after.Seconds())
	}
}

// bundleSummary is an exported plan bundle's run log and summary, where stackDurations reads the times.
func bundleSummary(t testing.TB, dir string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "plan.log"))
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	return string(raw) + "\n" + string(md)
}

func daggerLocalEnv(t testing.TB, sb *sandboxtest.Sandbox, dir, env string, args ...string) (string, error) {
	t.Helper()
	old, had := os.LookupEnv("DELIVERY_ENV")
	os.Setenv("DELIVERY_ENV", env)
	defer func() {
		if had {
			os.Setenv("DELIVERY_ENV", old)
		} else {
			os.Unsetenv("DELIVERY_ENV")
		}
	}()
	return daggerLocal(t, sb, dir, args...)
}

func setOwner(t testing.TB, dir, env, owner string) {
	t.Helper()
	p := filepath.Join(dir, "environments", env, "tags.tfvars")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	edited := regexp.MustCompile(`Owner\s*=\s*"[^"]*"`).ReplaceAllString(string(raw), fmt.Sprintf(`Owner       = %q`, owner))
	if err := os.WriteFile(p, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeWideFixture adds environment "bench" (the local sandbox, stacks_root bench/blueprint) and 36
// provider-free stacks in 6 waves of 6; each stack of wave n reads two stacks of wave n-1.
func writeWideFixture(dir string) {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	local, err := os.ReadFile(filepath.Join(dir, "environments", "local", "delivery.yaml"))
	must(err)
	yaml := strings.Replace(string(local), "name: local", "name: bench", 1)
	yaml = strings.Replace(yaml, "stacks_root: sandbox/blueprint", "stacks_root: bench/blueprint\n  parallelism: 6", 1)
	envDir := filepath.Join(dir, "environments", "bench")
	must(os.MkdirAll(envDir, 0o755))
	must(os.WriteFile(filepath.Join(envDir, "delivery.yaml"), []byte(yaml), 0o644))
	for _, f := range []string{"backend.hcl", "tags.tfvars"} {
		raw, err := os.ReadFile(filepath.Join(dir, "environments", "local", f))
		must(err)
		must(os.WriteFile(filepath.Join(envDir, f), raw, 0o644))
	}
	const waves, width = 6, 6
	for w := 0; w < waves; w++ {
		for i := 0; i < width; i++ {
			id := fmt.Sprintf("w%d/s%d", w, i)
			var reads strings.Builder
			var ups []string
			if w > 0 {
				for _, j := range []int{i, (i + 1) % width} {
					up := fmt.Sprintf("w%d/s%d", w-1, j)
					name := strings.ReplaceAll(up, "/", "_")
					fmt.Fprintf(&reads, "data \"terraform_remote_state\" %q {\n  backend = \"s3\"\n  config  = merge(var.remote_state, { key = \"${var.environment}/%s/terraform.tfstate\" })\n}\n\n", name, up)
					ups = append(ups, fmt.Sprintf("    %s = data.terraform_remote_state.%s.outputs.id", name, name))
				}
			}
			main := reads.String() + fmt.Sprintf("resource \"terraform_data\" \"this\" {\n  input = {\n    stack = %q\n    tags  = var.tags\n    upstream = {\n%s\n    }\n  }\n}\n", id, strings.Join(ups, "\n"))
			files := map[string]string{
				"main.tf":      main,
				"outputs.tf":   "output \"id\" {\n  description = \"This stack's id.\"\n  value       = terraform_data.this.output.stack\n}\n",
				"versions.tf":  "terraform {\n  required_version = \">= 1.10, < 2.0\"\n  backend \"s3\" {}\n}\n",
				"variables.tf": "variable \"environment\" {\n  type        = string\n  description = \"Environment.\"\n}\n\nvariable \"remote_state\" {\n  type        = any\n  description = \"Backend settings.\"\n}\n\nvariable \"tags\" {\n  type        = map(string)\n  description = \"Tags.\"\n}\n",
			}
			sdir := filepath.Join(dir, "bench", "blueprint", "stacks", filepath.FromSlash(id))
			must(os.MkdirAll(sdir, 0o755))
			for name, body := range files {
				must(os.WriteFile(filepath.Join(sdir, name), []byte(body), 0o644))
			}
		}
	}
}

func graphOf(t testing.TB, dir, env string) *stackgraph.Graph {
	t.Helper()
	root := "sandbox/blueprint"
	if env == "bench" {
		root = "bench/blueprint"
	}
	bp, err := blueprint.Load(filepath.Join(dir, root))
	if err != nil {
		t.Fatal(err)
	}
	g, err := stackgraph.Build(bp)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var (
	mdRowRE   = regexp.MustCompile("(?m)^\\| `([^`]+)` \\| \\w+ \\| [^|]+ \\| \\d+ \\| \\d+ \\| \\d+ \\| ([0-9.hmsµn]+) \\| \\+([0-9.hmsµn]+) \\|")
	mdTotalRE = regexp.MustCompile(`(?m)^(\d+) stacks in ([0-9.hms]+) \(parallelism \d+(?:, account guard ([0-9.hmsµn]+))?\)`)
)

// stackTimes is what the summary table says about a run: each stack's duration and start (from the
// run's start), the engine's wall time and the account guard's share of it.
type stackTimes struct {
	durations, starts map[string]time.Duration
	engine, guard     time.Duration
}

// stackDurations reads the summary table.
func stackDurations(t testing.TB, summary string) stackTimes {
	t.Helper()
	parse := func(s string) time.Duration {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("duration %q: %v", s, err)
		}
		return d
	}
	st := stackTimes{durations: map[string]time.Duration{}, starts: map[string]time.Duration{}}
	for _, m := range mdRowRE.FindAllStringSubmatch(summary, -1) {
		st.durations[m[1]], st.starts[m[1]] = parse(m[2]), parse(m[3])
	}
	m := mdTotalRE.FindStringSubmatch(summary)
	if m == nil || len(st.durations) == 0 {
		t.Fatalf("no summary table in:\n%s", tail(summary, 30))
	}
	st.engine = parse(m[2])
	if m[3] != "" {
		st.guard = parse(m[3])
	}
	return st
}

// waits splits the engine's time outside the critical path's own durations: before the path's first
// stack started (the account guard, then the scheduling of the first stack), between a stack of the
// path ending and the next one starting, and after the path's last stack ended.
func (st stackTimes) waits(path []string) (first, between, after time.Duration) {
	if len(path) == 0 {
		return 0, 0, 0
	}
	first = st.starts[path[0]]
	end := st.starts[path[0]] + st.durations[path[0]]
	for _, id := range path[1:] {
		between += st.starts[id] - end
		end = st.starts[id] + st.durations[id]
	}
	return first, between, st.engine - end
}

// criticalPath is the longest chain of the graph weighted by the stacks' own durations.
func criticalPath(g *stackgraph.Graph, d map[string]time.Duration) (time.Duration, []string) {
	best := map[string]time.Duration{}
	prev := map[string]string{}
	for _, id := range g.Order() {
		var up string
		var upBest time.Duration
		ups := g.Upstreams(id)
		sort.Strings(ups)
		for _, u := range ups {
			if best[u] > upBest {
				up, upBest = u, best[u]
			}
		}
		best[id], prev[id] = upBest+d[id], up
	}
	var end string
	for id, v := range best {
		if v > best[end] || end == "" {
			end = id
		}
	}
	var path []string
	for id := end; id != ""; id = prev[id] {
		path = append([]string{id}, path...)
	}
	return best[end], path
}
