//go:build integration

package stackrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"text/tabwriter"
	"time"
)

// benchStack is one stack of the generated benchmark blueprint: its apply sleeps for Sleep.
type benchStack struct {
	ID    string
	Reads []string
	Sleep time.Duration
}

// benchBlueprint: 12 stacks in 4 layers with uneven sleeps, so a wave barrier would cost time that an
// eager scheduler does not (e.g. l2/b waits only for l1/a, not for the slow l1/c).
var benchBlueprint = []benchStack{
	{"l1/a", nil, 1 * time.Second},
	{"l1/b", nil, 2 * time.Second},
	{"l1/c", nil, 4 * time.Second},
	{"l2/a", []string{"l1/a"}, 3 * time.Second},
	{"l2/b", []string{"l1/a", "l1/b"}, 1 * time.Second},
	{"l2/c", []string{"l1/c"}, 1 * time.Second},
	{"l2/d", []string{"l1/b"}, 2 * time.Second},
	{"l3/a", []string{"l2/a", "l2/b"}, 2 * time.Second},
	{"l3/b", []string{"l2/c"}, 1 * time.Second},
	{"l3/c", []string{"l2/d"}, 3 * time.Second},
	{"l4/a", []string{"l3/a", "l3/b"}, 1 * time.Second},
	{"l4/b", []string{"l3/c"}, 1 * time.Second},
}

// writeBenchBlueprint copies the diamond fixture's environment and replaces its stacks with benchBlueprint.
func writeBenchBlueprint(b *testing.B) string {
	b.Helper()
	root, _ := itFixture(b, "diamond")
	if err := os.RemoveAll(filepath.Join(root, "stacks")); err != nil {
		b.Fatal(err)
	}
	for _, s := range benchBlueprint {
		dir := filepath.Join(root, "stacks", filepath.FromSlash(s.ID))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		var body strings.Builder
		body.WriteString("terraform {\n  backend \"s3\" {}\n}\n\nvariable \"environment\" {\n  type        = string\n  description = \"env\"\n}\n\nvariable \"remote_state\" {\n  type        = any\n  description = \"backend\"\n}\n")
		var refs []string
		for i, up := range s.Reads {
			fmt.Fprintf(&body, "\ndata \"terraform_remote_state\" \"u%d\" {\n  backend = \"s3\"\n  config  = merge(var.remote_state, { key = \"${var.environment}/%s/terraform.tfstate\" })\n}\n", i, up)
			refs = append(refs, fmt.Sprintf("data.terraform_remote_state.u%d.outputs.id", i))
		}
		fmt.Fprintf(&body, "\nresource \"terraform_data\" \"work\" {\n  input = [%s]\n\n  provisioner \"local-exec\" {\n    command = \"sleep %d\"\n  }\n}\n\noutput \"id\" {\n  value = \"%s\"\n}\n",
			strings.Join(refs, ", "), int(s.Sleep.Seconds()), s.ID)
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(body.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return root
}

// criticalPath is the longest dependency chain through the given per-stack durations.
func criticalPath(durations map[string]time.Duration) (time.Duration, []string) {
	finish := map[string]time.Duration{}
	via := map[string]string{}
	for _, s := range benchBlueprint { // listed in dependency order
		start := time.Duration(0)
		for _, up := range s.Reads {
			if finish[up] > start {
				start, via[s.ID] = finish[up], up
			}
		}
		finish[s.ID] = start + durations[s.ID]
	}
	var end string
	for id, f := range finish {
		if end == "" || f > finish[end] || f == finish[end] && id < end {
			end = id
		}
	}
	path := []string{end}
	for id := end; via[id] != ""; id = via[id] {
		path = append([]string{via[id]}, path...)
	}
	return finish[end], path
}

func durationsOf(sum *Summary) map[string]time.Duration {
	d := map[string]time.Duration{}
	for _, r := range sum.Stacks {
		d[r.Stack] = r.Duration
	}
	return d
}

// BenchmarkApplyOrchestrationOverhead applies the 12-stack blueprint eagerly in parallel and strictly
// sequentially, each on fresh state, and reports wall time against the critical path of the measured
// per-stack durations (target ≤ 1.10).
func BenchmarkApplyOrchestrationOverhead(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		parRoot := writeBenchBlueprint(b)
		seqRoot := writeBenchBlueprint(b)
		b.StartTimer()
		par, out := itRunner(b, parRoot, func(o *Options) { o.Parallelism = len(benchBlueprint) })
		parSum := par.Apply(ctx)
		b.StopTimer()
		mustSucceed(b, parSum, out)
		seq, out := itRunner(b, seqRoot, func(o *Options) { o.Parallelism = 1 })
		seqSum := seq.Apply(ctx)
		mustSucceed(b, seqSum, out)

		measured := durationsOf(parSum)
		cp, path := criticalPath(measured)
		sleeps := map[string]time.Duration{}
		var waveBarrier time.Duration
		for _, s := range benchBlueprint {
			sleeps[s.ID] = s.Sleep
		}
		for _, wave := range par.Graph().Waves() {
			var longest time.Duration
			for _, id := range wave {
				longest = max(longest, measured[id])
			}
			waveBarrier += longest
		}
		sleepCP, _ := criticalPath(sleeps)
		ratio := parSum.Duration.Seconds() / cp.Seconds()
		b.ReportMetric(ratio, "wall/critical")
		b.ReportMetric(seqSum.Duration.Seconds()/parSum.Duration.Seconds(), "sequential/wall")

		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "\nstack\treads\tsleep\tparallel run\tsequential run\t\n")
		for _, s := range benchBlueprint {
			seqRes, _ := seqSum.Result(s.ID)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", s.ID, strings.Join(s.Reads, ","), s.Sleep, measured[s.ID].Round(10*time.Millisecond), seqRes.Duration.Round(10*time.Millisecond))
		}
		tw.Flush()
		tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "\nmeasure\tseconds\tratio to critical path\t\n")
		row := func(name string, d time.Duration) {
			fmt.Fprintf(tw, "%s\t%.2f\t%.3f\t\n", name, d.Seconds(), d.Seconds()/cp.Seconds())
		}
		row("critical path of measured stack times ("+strings.Join(path, " → ")+")", cp)
		row("critical path of the sleeps alone", sleepCP)
		row("eager parallel wall time (this engine)", parSum.Duration)
		row("wave-barrier estimate (sum of slowest per wave)", waveBarrier)
		row("strictly sequential wall time", seqSum.Duration)
		tw.Flush()
		fmt.Printf("\nwall/critical = %.3f (target ≤ 1.10); sequential/parallel speed-up = %.2fx\n", ratio, seqSum.Duration.Seconds()/parSum.Duration.Seconds())
	}
}

// BenchmarkNoChangePlan plans the sandbox blueprint's 7 stand-in stacks after they were applied (warm
// data dirs) and reports the time per stack.
func BenchmarkNoChangePlan(b *testing.B) {
	ctx := context.Background()
	root, _ := itFixture(b, "diamond")
	// Put the sandbox stand-ins in place of the fixture's stacks; they share its environment shape.
	src, err := filepath.Abs(filepath.Join("..", "..", "sandbox", "blueprint"))
	if err != nil {
		b.Fatal(err)
	}
	_ = os.RemoveAll(filepath.Join(root, "stacks"))
	_ = os.RemoveAll(filepath.Join(root, "modules"))
	if err := copyTree(src, root); err != nil {
		b.Fatal(err)
	}
	r, out := itRunner(b, root, nil)
	mustSucceed(b, r.Apply(ctx), out)
	per := map[string][]time.Duration{}
	var walls []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, out := itRunner(b, root, nil)
		sum := r.Plan(ctx)
		b.StopTimer()
		mustSucceed(b, sum, out)
		for _, res := range sum.Stacks {
			if res.HasChanges() {
				b.Fatalf("%s has changes in a no-change plan", res.Stack)
			}
			per[res.Stack] = append(per[res.Stack], res.Duration)
		}
		walls = append(walls, sum.Duration)
		b.StartTimer()
	}
	b.StopTimer()
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\nstack (no-change plan, warm)\tmedian\tmax\t\n")
	ids := make([]string, 0, len(per))
	for id := range per {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		med, mx := medianMax(per[id])
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", id, med.Round(10*time.Millisecond), mx.Round(10*time.Millisecond))
	}
	med, mx := medianMax(walls)
	fmt.Fprintf(tw, "whole blueprint (wall)\t%s\t%s\t\n", med.Round(10*time.Millisecond), mx.Round(10*time.Millisecond))
	tw.Flush()
}

func medianMax(ds []time.Duration) (time.Duration, time.Duration) {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2], s[len(s)-1]
}

func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
