package supplychain_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	fakekms "github.com/platformteam/delivery/internal/fake/kms"
	"github.com/platformteam/delivery/internal/supplychaintest"
)

// BenchmarkAttest is what publish adds after the push, for an app-shaped image (a Go binary with
// dependencies on scratch) in an in-process registry with an in-memory KMS: read what exists, SBOM from
// the layers, three signatures, two tag writes. The sandbox benchmark (scripts/bench-supply-chain.sh)
// measures the same in `publish --env local` through Dagger (the sandbox's KMS behind its AWS front, its
// registry), as a share of the build step.
//
//	go test -run '^$' -bench Attest -benchtime 20x ./pkg/supplychain/
func BenchmarkAttest(b *testing.B) {
	ctx := context.Background()
	host := supplychaintest.Registry(b)
	k := fakekms.New("222222222222", "ap-southeast-2")
	k.CreateSigningKey("alias/bench")
	a := attester(b, k, "alias/bench")
	var check, sbomT, sign, store time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		img := supplychaintest.Push(b, host, "demo-app", fmt.Sprintf("b%d", i), supplychaintest.AppImage(b, fmt.Sprint(i)))
		b.StartTimer()
		res, err := a.Attest(ctx, request(img))
		if err != nil {
			b.Fatal(err)
		}
		check += res.Timings.Check
		sbomT += res.Timings.SBOM
		sign += res.Timings.Sign
		store += res.Timings.Store
	}
	n := float64(b.N)
	b.ReportMetric(float64(check.Milliseconds())/n, "check-ms/op")
	b.ReportMetric(float64(sbomT.Milliseconds())/n, "sbom-ms/op")
	b.ReportMetric(float64(sign.Milliseconds())/n, "sign-ms/op")
	b.ReportMetric(float64(store.Milliseconds())/n, "store-ms/op")
}
