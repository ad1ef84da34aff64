//go:build integration

package helmdeploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"

	"github.com/platformteam/delivery/internal/sandbox/kube/kwokstages"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
)

// BenchmarkHelmBadImageRollback measures, on the sandbox cluster, the time from starting an upgrade
// whose pods can never start until the atomic rollback is done, for each kind of pod the sandbox
// produces: an image that cannot be pulled (ImagePullBackOff, healing class: the grace applies), a
// container that crashes at once (CrashLoopBackOff, past --max-restarts) and a missing Secret
// (CreateContainerConfigError, healing class). This engine's fail-fast wait is compared with plain Helm
// atomic+wait with Helm's default 5m timeout (HELM_BENCH_BASELINE_TIMEOUT shortens it), which does not
// depend on the failure. Run: go test -tags integration -run '^$' -bench HelmBadImageRollback -benchtime=1x ./pkg/helmdeploy
func BenchmarkHelmBadImageRollback(b *testing.B) {
	baselineTimeout := 5 * time.Minute
	if v := os.Getenv("HELM_BENCH_BASELINE_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		baselineTimeout = d
	}
	s := sandboxtest.Env(b)
	missingSecret := filepath.Join(b.TempDir(), "missing-secret.yaml")
	if err := os.WriteFile(missingSecret, []byte("secretEnv: never-created\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	type kind struct {
		name, repository string
		values           []string
	}
	kinds := []kind{
		{"ImagePullBackOff (pull-fail)", kwokstages.PullFailMarker + "/demo-app", nil},
		{"CrashLoopBackOff (crash-loop)", kwokstages.CrashLoopMarker + "/demo-app", nil},
		{"CreateContainerConfigError (missing Secret)", "demo-app", []string{missingSecret}},
	}
	type row struct {
		kind  string
		run   int
		took  time.Duration
		plain bool
	}
	var rows []row
	deployGood := func(ns string) (*Deployer, *ClusterAccess, Request) {
		access, err := FromKubeconfig(s.Kubeconfig, ns)
		if err != nil {
			b.Fatal(err)
		}
		d := &Deployer{Access: access}
		good := Request{Release: "demo-app", Namespace: ns, Chart: "testdata/chart", ValuesFiles: []string{"testdata/chart/values-test.yaml"},
			Image: imageValues(s.Registry+"/demo-app", goodDigest), Timeout: time.Minute}
		if _, err := d.Deploy(context.Background(), good); err != nil {
			b.Fatal(err)
		}
		return d, access, good
	}
	for i := 0; i < b.N; i++ {
		for _, k := range kinds {
			d, _, good := deployGood(sandboxtest.UniqueName("rel-bench"))
			bad := good
			bad.Image = imageValues(s.Registry+"/"+k.repository, otherDigest)
			bad.ValuesFiles = append(append([]string{}, good.ValuesFiles...), k.values...)
			bad.Timeout = 5 * time.Minute
			start := time.Now()
			if _, err := d.Deploy(context.Background(), bad); err == nil {
				b.Fatalf("%s: deployed", k.name)
			}
			rows = append(rows, row{kind: k.name, run: i + 1, took: time.Since(start)})
		}
		// Plain Helm: the same chart and values, its own kube client and wait.
		_, access, good := deployGood(sandboxtest.UniqueName("rel-bench"))
		bad := good
		bad.Image = imageValues(s.Registry+"/"+kwokstages.PullFailMarker+"/demo-app", otherDigest)
		cfg := new(action.Configuration)
		if err := cfg.Init(access, good.Namespace, "secret", func(string, ...any) {}); err != nil {
			b.Fatal(err)
		}
		ch, _ := LoadChart(bad.Chart)
		vals, _ := ComposeValues(bad.ValuesFiles, bad.Image)
		up := action.NewUpgrade(cfg)
		up.Namespace, up.Atomic, up.Wait, up.Timeout = good.Namespace, true, true, baselineTimeout
		start := time.Now()
		if _, err := up.Run("demo-app", ch, vals); err == nil {
			b.Fatal("bad image deployed")
		}
		rows = append(rows, row{kind: "any (plain atomic+wait, timeout " + baselineTimeout.String() + ")", run: i + 1, took: time.Since(start), plain: true})
	}
	fmt.Printf("\nHelm: upgrade to pods that can never start → atomic rollback done (sandbox cluster, kwok; grace %s, max restarts 2)\n", DefaultGrace)
	fmt.Printf("%-4s %-52s %-10s\n", "run", "pods", "took")
	worst := time.Duration(0)
	for _, r := range rows {
		fmt.Printf("%-4d %-52s %-10s\n", r.run, r.kind, r.took.Round(100*time.Millisecond))
		if !r.plain && r.took > worst {
			worst = r.took
		}
	}
	fmt.Printf("release-engine worst %s (target ≤ 30s)\n", worst.Round(100*time.Millisecond))
	b.ReportMetric(worst.Seconds(), "s-failfast-worst")
}
