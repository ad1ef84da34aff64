package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRunExitsWithReportCode(t *testing.T) {
	t.Setenv("GITHUB_ACTIONS", "")
	p := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(p, []byte(`{"markdown":"drifted","exit_code":2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"publish", p}); code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
	md := filepath.Join(t.TempDir(), "summary.md")
	if code := run([]string{"publish", "--markdown-out", md, p}); code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
	if b, err := os.ReadFile(md); err != nil || string(b) != "drifted" {
		t.Fatalf("markdown file: %q %v", b, err)
	}
	if code := run([]string{"publish"}); code != 64 {
		t.Fatalf("usage error exit code %d, want 64", code)
	}
	if code := run([]string{"publish", p + ".absent"}); code != 1 {
		t.Fatalf("missing report exit code %d, want 1", code)
	}
}
