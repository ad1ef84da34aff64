package daggerengine

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFindDebianSourceDeb822(t *testing.T) {
	root := t.TempDir()
	write(t, root, "etc/apt/sources.list.d/debian.sources", `Types: deb
# a comment
URIs: http://mirror.invalid/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.invalid/debian-security
Suites: bookworm-security
Components: main
`)
	write(t, root, "etc/apt/sources.list.d/other.list", "deb https://vendor.invalid/apt cloud-sdk-bookworm main\n")
	got, err := findDebianSource(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := (debianSource{Mirror: "http://mirror.invalid/debian", Suite: "bookworm"}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestFindDebianSourceOneLine(t *testing.T) {
	root := t.TempDir()
	write(t, root, "etc/apt/sources.list", `# deb http://old.invalid/debian buster main
deb-src http://src.invalid/debian trixie main
deb [arch=amd64 signed-by=/k.gpg] http://mirror.invalid/debian/ trixie main contrib
`)
	got, err := findDebianSource(root)
	if err != nil {
		t.Fatal(err)
	}
	if got.Mirror != "http://mirror.invalid/debian/" || got.Suite != "trixie" {
		t.Fatalf("got %+v", got)
	}
}

func TestFindDebianSourceNone(t *testing.T) {
	root := t.TempDir()
	write(t, root, "etc/apt/sources.list", "deb https://vendor.invalid/apt stable main\n")
	if _, err := findDebianSource(root); err == nil {
		t.Fatal("want an error when no Debian archive is configured")
	}
}

func write(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
