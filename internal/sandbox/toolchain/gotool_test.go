package toolchain

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSourceVersionChangesWithNestedSources(t *testing.T) {
	root := t.TempDir()
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, path), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a/main.go", "package main")
	write("a/sub/sub.go", "package sub")
	before := SourceVersion(root, "a")
	write("a/sub/sub_test.go", "package sub // tests do not count")
	write("a/testdata/x.go", "package x // test data does not count")
	if got := SourceVersion(root, "a"); got != before {
		t.Fatalf("tests or test data changed the version: %s → %s", before, got)
	}
	write("a/sub/sub.go", "package sub // edited")
	if got := SourceVersion(root, "a"); got == before || !strings.HasPrefix(got, "src-") {
		t.Fatalf("an edit below the directory kept the version %s (now %s)", before, got)
	}
}
