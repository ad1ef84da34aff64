package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewLayoutDefaultsAndOverrides(t *testing.T) {
	l, err := NewLayout("/repo", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if l.StateDir != "/repo/.sandbox" || l.CacheDir != "/repo/.cache" {
		t.Errorf("defaults = %+v", l)
	}
	if l.EnvFile() != "/repo/.sandbox/env" || l.Kubeconfig() != "/repo/.sandbox/kube/kubeconfig" {
		t.Errorf("contract paths = %s, %s", l.EnvFile(), l.Kubeconfig())
	}
	if got := l.ToolDir("kubernetes", "v1.37.2"); got != "/repo/.cache/tools/kubernetes-v1.37.2" {
		t.Errorf("tool dir = %s", got)
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

func TestKubeVersionStamp(t *testing.T) {
	flags := kubeVersionLDFlags("v1.37.2")
	for _, want := range []string{"version.gitVersion=v1.37.2", "version.gitMajor=1", "version.gitMinor=37"} {
		if !strings.Contains(flags, want) {
			t.Errorf("ldflags %q lack %q", flags, want)
		}
	}
	if kubeMinorVersion("v1.37.2") != "1.37" {
		t.Errorf("kubeMinorVersion = %s", kubeMinorVersion("v1.37.2"))
	}
}
