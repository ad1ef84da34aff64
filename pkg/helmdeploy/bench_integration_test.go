//go:build integration

package helmdeploy

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"

	"github.com/platformteam/delivery/internal/sandbox/kube/kwokstages"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
)

// BenchmarkHelmBadImageRollback measures, on the sandbox cluster, the time from starting an upgrade to
// an image that cannot be pulled until the atomic rollback is done: this engine's fail-fast wait versus
// plain Helm atomic+wait with Helm's default 5m timeout (HELM_BENCH_BASELINE_TIMEOUT shortens it).
// Run: go test -tags integration -run '^$' -bench HelmBadImageRollback -benchtime=1x ./pkg/helmdeploy
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
	type row struct{ engine, plain time.Duration }
	var rows []row
	for i := 0; i < b.N; i++ {
		var r row
		for _, failFast := range []bool{true, false} {
			ns := sandboxtest.UniqueName("rel-bench")
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
			bad := good
			bad.Image = imageValues(s.Registry+"/"+kwokstages.PullFailMarker+"/demo-app", otherDigest)
			start := time.Now()
			if failFast {
				bad.Timeout = 5 * time.Minute
				if _, err := d.Deploy(context.Background(), bad); err == nil {
					b.Fatal("bad image deployed")
				}
				r.engine = time.Since(start)
			} else {
				// Plain Helm: the same chart and values, its own kube client and wait.
				cfg := new(action.Configuration)
				if err := cfg.Init(access, ns, "secret", func(string, ...any) {}); err != nil {
					b.Fatal(err)
				}
				ch, _ := LoadChart(bad.Chart)
				vals, _ := ComposeValues(bad.ValuesFiles, bad.Image)
				up := action.NewUpgrade(cfg)
				up.Namespace, up.Atomic, up.Wait, up.Timeout = ns, true, true, baselineTimeout
				if _, err := up.Run("demo-app", ch, vals); err == nil {
					b.Fatal("bad image deployed")
				}
				r.plain = time.Since(start)
			}
		}
		rows = append(rows, r)
	}
	fmt.Printf("\nHelm: bad-image upgrade start → atomic rollback done (sandbox cluster, kwok)\n")
	fmt.Printf("%-4s %-26s %-34s\n", "run", "release-engine fail-fast", fmt.Sprintf("plain atomic+wait (timeout %s)", baselineTimeout))
	for i, r := range rows {
		fmt.Printf("%-4d %-26s %-34s\n", i+1, r.engine.Round(100*time.Millisecond), r.plain.Round(100*time.Millisecond))
	}
	fmt.Printf("target: release-engine ≤ 30s\n")
	b.ReportMetric(rows[0].engine.Seconds(), "s-failfast")
	b.ReportMetric(rows[0].plain.Seconds(), "s-plain")
}
