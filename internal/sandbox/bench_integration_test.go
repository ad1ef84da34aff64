//go:build integration

package sandbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/platformteam/delivery/internal/sandbox"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
)

// BenchmarkWarmUp measures `up` when everything already runs (target: well under 30 s).
// go test -tags integration -run '^$' -bench WarmUp -benchtime 3x ./internal/sandbox/
func BenchmarkWarmUp(b *testing.B) {
	sb := sandboxtest.Env(b)
	opts := sandbox.Options{Layout: sb.Layout}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b.ResetTimer()
	for range b.N {
		if _, err := sandbox.Up(ctx, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
}
