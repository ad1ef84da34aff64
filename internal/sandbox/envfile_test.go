package sandbox

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnvFileRoundTrip(t *testing.T) {
	in := EnvFile{
		"AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
		"KUBECONFIG":       "/path with spaces/kube config",
		"QUOTE":            "it's",
		"EMPTY":            "",
		"DOLLAR":           "$HOME `x`",
	}
	path := filepath.Join(t.TempDir(), "env")
	if err := in.Write(path); err != nil {
		t.Fatal(err)
	}
	out, err := ReadEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("read %d keys, wrote %d: %v", len(out), len(in), out)
	}
	for k, v := range in {
		if out[k] != v {
			t.Errorf("%s = %q, want %q", k, out[k], v)
		}
	}
}

// The file must mean the same thing to a shell as to ParseEnvFile.
func TestEnvFileIsSourceableByShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("no sh on PATH: %v", err)
	}
	in := EnvFile{"A": "plain", "B": "two words", "C": "it's $(not run)", "D": `back\slash`}
	path := filepath.Join(t.TempDir(), "env")
	if err := in.Write(path); err != nil {
		t.Fatal(err)
	}
	script := `set -a; . "$1"; set +a; printf '%s\n' "$A" "$B" "$C" "$D"`
	got, err := exec.Command(sh, "-c", script, "sh", path).Output()
	if err != nil {
		t.Fatalf("source env file: %v", err)
	}
	want := "plain\ntwo words\nit's $(not run)\nback\\slash\n"
	if string(got) != want {
		t.Errorf("shell read %q, want %q", got, want)
	}
}

func TestEnvFileRejectsBadInput(t *testing.T) {
	if _, err := (EnvFile{"BAD-KEY": "x"}).Render(); err == nil {
		t.Error("a key with a dash was accepted")
	}
	if _, err := (EnvFile{"K": "line\nbreak"}).Render(); err == nil {
		t.Error("a value with a newline was accepted")
	}
	for _, bad := range []string{"NOEQUALS", "K=unterminated'quote", "K='open", "K=$(rm)"} {
		if _, err := ParseEnvFile([]byte(bad)); err == nil {
			t.Errorf("ParseEnvFile(%q) accepted malformed input", bad)
		}
	}
}

func TestExportLines(t *testing.T) {
	lines := EnvFile{"B": "x y", "A": "1"}.ExportLines()
	if strings.Join(lines, "\n") != "export A=1\nexport B='x y'" {
		t.Errorf("export lines = %q", lines)
	}
}
