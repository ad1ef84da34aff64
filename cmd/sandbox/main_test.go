package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// Bad input is rejected before anything is looked at or started.
func TestRunRejectsBadInput(t *testing.T) {
	cases := map[string][]string{
		"no command":          nil,
		"unknown command":     {"start"},
		"flag of another cmd": {"down", "--with-dagger"},
		"unknown flag":        {"up", "--force"},
		"extra argument":      {"status", "now"},
	}
	for name, args := range cases {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, &out, &errOut)
		var usage usageError
		if !errors.As(err, &usage) {
			t.Errorf("%s: run(%q) = %v, want a usage error", name, args, err)
		}
		if out.Len() != 0 || errOut.Len() != 0 {
			t.Errorf("%s: printed output before rejecting the input", name)
		}
	}
}

func TestEnvWithoutSandboxSaysHowToStartIt(t *testing.T) {
	t.Setenv("SANDBOX_DIR", t.TempDir())
	var out bytes.Buffer
	err := run(context.Background(), []string{"env"}, &out, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "go run ./cmd/sandbox up") {
		t.Errorf("env with no sandbox = %v, want a hint to run up", err)
	}
}
