//go:build devscratch

package daggerengine

import (
	"context"
	"os"
	"testing"
)

func TestDevRootfs(t *testing.T) {
	l, err := newPaths(Options{CacheDir: "/work/main/.cache", StateDir: "/work/main/.sandbox/dagger"})
	if err != nil {
		t.Fatal(err)
	}
	p := newProgress(os.Stdout)
	_ = l.ensureStateDirs()
	_ = os.MkdirAll(l.toolsDir(), 0o755)
	if err := buildEngineRootfs(context.Background(), p, l); err != nil {
		t.Fatal(err)
	}
	if _, err := debootstrapRootfs(context.Background(), p, l, "image-rootfs", imagePackages, func(context.Context, string) error { return nil }); err != nil {
		t.Fatal(err)
	}
}
