package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platformteam/delivery/internal/sandbox/kube"
)

func TestNewLayoutDefaultsAndOverrides(t *testing.T) {
	l, err := NewLayout("/repo", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if l.StateDir != "/repo/.sandbox" || l.CacheDir != "/repo/.cache" {
		t.Errorf("defaults = %+v", l)
	}
	if kubeconfig := l.primaryKubeconfig(); l.EnvFile() != "/repo/.sandbox/env" || kubeconfig != "/repo/.sandbox/kube/kubeconfig" {
		t.Errorf("contract paths = %s, %s", l.EnvFile(), kubeconfig)
	}
	if got := kube.CachedBinaries(l.RepoRoot, l.CacheDir).Kube; got != "/repo/.cache/tools/kubernetes-v1.37.2/kube" {
		t.Errorf("tool path = %s", got)
	}
	l, _ = NewLayout("/repo", "/tmp/sb", "cache2")
	if l.StateDir != "/tmp/sb" || l.CacheDir != "/repo/cache2" {
		t.Errorf("overrides = %+v (absolute kept, relative under the root)", l)
	}
}

func TestFindRepoRoot(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "go.mod"), []byte("module "+ModulePath+"\n\ngo 1.26\n"), 0o644)
	nested := filepath.Join(root, "tools", "k8s")
	os.MkdirAll(nested, 0o755)
	// A nested module (the tools modules) is not the root.
	os.WriteFile(filepath.Join(nested, "go.mod"), []byte("module "+ModulePath+"/tools/k8s\n"), 0o644)
	got, err := FindRepoRoot(nested)
	if err != nil || got != root {
		t.Errorf("FindRepoRoot(%s) = %q, %v; want %q", nested, got, err, root)
	}
	if _, err := FindRepoRoot(t.TempDir()); err == nil || !strings.Contains(err.Error(), "inside the repository") {
		t.Errorf("outside the repository: %v", err)
	}
}
