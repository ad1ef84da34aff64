package image

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkDigestResolution counts registry manifest requests per path (in-process registry): the
// one-pipeline path confirms the published digest with one HEAD and never polls; only wait-for-tag polls.
func BenchmarkDigestResolution(b *testing.B) {
	ctx := context.Background()
	var confirmReqs, waitReqs int64
	var confirmTime time.Duration
	for i := 0; i < b.N; i++ {
		reg, counter := startRegistry(b)
		dir, digest := writeLayout(b)
		repo := reg.Host + "/demo-app"
		if _, err := Push(ctx, reg, repo, "abc1234", dir); err != nil {
			b.Fatal(err)
		}
		counter.all.Store(0)
		start := time.Now()
		if _, err := Confirm(ctx, reg, pinned(b, repo+":abc1234@"+digest)); err != nil {
			b.Fatal(err)
		}
		confirmTime += time.Since(start)
		confirmReqs += counter.all.Load()

		counter.all.Store(0)
		misses := 0
		sleep := func(_ context.Context, _ time.Duration) error {
			misses++
			if misses == 3 {
				before := counter.all.Load()
				_, err := Push(ctx, reg, repo, "def5678", dir)
				counter.all.Store(before) // the other pipeline's push is not a poll
				return err
			}
			return nil
		}
		if _, _, err := WaitForTag(ctx, reg, repo, "def5678", WaitOptions{Sleep: sleep}); err != nil {
			b.Fatal(err)
		}
		waitReqs += counter.all.Load()
	}
	n := int64(b.N)
	fmt.Printf("\nDigest resolution: registry manifest requests per run (in-process registry, %d run(s))\n", b.N)
	fmt.Printf("%-52s %-10s %s\n", "path", "requests", "mean time")
	fmt.Printf("%-52s %-10d %s\n", "one pipeline: confirm published ref@digest", confirmReqs/n, (confirmTime / time.Duration(b.N)).Round(time.Microsecond))
	fmt.Printf("%-52s %-10d %s\n", "two pipelines: wait-for-tag, pushed after 3 misses", waitReqs/n, "-")
	b.ReportMetric(float64(confirmReqs)/float64(n), "confirm-requests")
	if confirmReqs != n {
		b.Fatalf("one-pipeline path made %d manifest requests in %d runs, want exactly one per run", confirmReqs, n)
	}
}
