//go:build devscratch

package daggerengine

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestDevColdBuild measures the build part of a cold Up in a fresh cache (not committed).
func TestDevColdBuild(t *testing.T) {
	l, err := newPaths(Options{CacheDir: "/tmp/cold/cache", StateDir: "/tmp/cold/state", Registry: "127.0.0.1:5000"})
	if err != nil {
		t.Fatal(err)
	}
	p := newProgress(os.Stdout)
	ctx := context.Background()
	start := time.Now()
	if err := buildBinaries(ctx, p, l); err != nil {
		t.Fatal(err)
	}
	if err := buildEngineRootfs(ctx, p, l); err != nil {
		t.Fatal(err)
	}
	if _, err := buildImages(ctx, p, l); err != nil {
		t.Fatal(err)
	}
	p.linef("cold build total %s", time.Since(start))
}
