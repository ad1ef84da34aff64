package sandbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A python3 without moto must produce a message naming moto and how to install it.
func TestCheckMotoExplainsMissingModule(t *testing.T) {
	dir := t.TempDir()
	fake := "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'moto'\" >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, "python3"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	_, _, err := checkMoto(context.Background())
	var missing *MissingPrerequisiteError
	if !errors.As(err, &missing) {
		t.Fatalf("checkMoto = %v, want MissingPrerequisiteError", err)
	}
	for _, want := range []string{"moto", "pip install 'moto[server]'", "No module named 'moto'"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
}

func TestCheckMotoWithoutPython(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, _, err := checkMoto(context.Background())
	if err == nil || !strings.Contains(err.Error(), "python3") {
		t.Errorf("checkMoto without python3 = %v", err)
	}
}
