package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platformteam/delivery/pkg/stackrun"
)

// capture runs the CLI and returns what it printed on stdout.
func capture(t *testing.T, args ...string) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	runErr := run(context.Background(), args)
	os.Stdout = old
	w.Close()
	out, _ := io.ReadAll(r)
	return string(out), runErr
}

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if err != nil {
		return 1
	}
	return 0
}

func TestLintExitCodes(t *testing.T) {
	out, err := capture(t, "lint", "--root", "../../pkg/blueprint/testdata/good")
	if exitCode(err) != 0 || !strings.Contains(out, "0 errors, 0 warnings") {
		t.Fatalf("good tree: exit %d, output %q", exitCode(err), out)
	}
	out, err = capture(t, "lint", "--root", "../../pkg/blueprint/testdata/bad", "--json")
	if exitCode(err) != 1 {
		t.Fatalf("bad tree must exit 1, got %v", err)
	}
	var v struct {
		Errors   int `json:"errors"`
		Findings []struct {
			Rule string `json:"rule"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Errors == 0 {
		t.Fatalf("json output %q (%v)", out, err)
	}
}

func TestGraphFormats(t *testing.T) {
	out, err := capture(t, "graph", "--root", "../../pkg/blueprint/testdata/good", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Order []string `json:"order"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || strings.Join(v.Order, ",") != "core/net,core/app" {
		t.Fatalf("graph json %q (%v)", out, err)
	}
	out, err = capture(t, "graph", "--root", "../../pkg/blueprint/testdata/good", "--format", "dot")
	if err != nil || !strings.Contains(out, `"core/app" -> "core/net"`) {
		t.Fatalf("dot %q (%v)", out, err)
	}
	if _, err := capture(t, "graph", "--root", "../../pkg/blueprint/testdata/good", "--format", "svg"); err == nil {
		t.Fatal("an unknown format must be refused")
	}
}

func TestRunCommandsRejectBadInputBeforeRunning(t *testing.T) {
	cases := map[string][]string{
		"no env":          {"plan", "--root", "../../pkg/stackrun/testdata/diamond"},
		"unknown env":     {"apply", "--root", "../../pkg/stackrun/testdata/diamond", "--env", "nope"},
		"missing backend": {"plan", "--root", "../../pkg/stackrun/testdata/diamond", "--env", "it"}, // backend.hcl is written by the tests
		"stray argument":  {"drift", "--env", "it", "extra"},
		"unknown command": {"destroy"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := capture(t, args...); exitCode(err) != 1 {
				t.Fatalf("want exit 1, got %v", err)
			}
		})
	}
}

func TestExitCodes(t *testing.T) {
	ok := &stackrun.Summary{Action: stackrun.ActionDrift, Stacks: []stackrun.StackResult{{Stack: "a", Status: stackrun.StatusSucceeded}}}
	if err := exitFor(ok); err != nil {
		t.Fatalf("clean drift: %v", err)
	}
	drifted := &stackrun.Summary{Action: stackrun.ActionDrift, Stacks: []stackrun.StackResult{{Stack: "a", Status: stackrun.StatusSucceeded, Drifted: true}}}
	if exitCode(exitFor(drifted)) != 2 {
		t.Fatal("drift must exit 2")
	}
	failed := &stackrun.Summary{Action: stackrun.ActionDrift, Stacks: []stackrun.StackResult{
		{Stack: "a", Status: stackrun.StatusSucceeded, Drifted: true}, {Stack: "b", Status: stackrun.StatusFailed}}}
	if exitCode(exitFor(failed)) != 1 {
		t.Fatal("a failure outranks drift")
	}
}

// TestLintReportsEveryRemoteStateProblemInOneRun: a blueprint that writes remote state in every form
// gets every cycle, missing stack and off-scheme key reported at once; no finding hides another.
func TestLintReportsEveryRemoteStateProblemInOneRun(t *testing.T) {
	out, err := capture(t, "lint", "--root", "../../pkg/blueprint/testdata/forms", "--json")
	if exitCode(err) != 1 {
		t.Fatalf("want exit 1, got %v", err)
	}
	var v struct {
		Findings []struct {
			File    string `json:"file"`
			Rule    string `json:"rule"`
			Message string `json:"message"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("json output %q: %v", out, err)
	}
	got := map[string]int{}
	for _, f := range v.Findings {
		got[f.File+" "+f.Rule]++
	}
	want := map[string]int{
		"stacks/app/main.tf stack-cycle":           1, // app -> db -> app
		"stacks/loop/x/main.tf stack-cycle":        1, // loop/x -> loop/y -> loop/x, keys built in locals
		"stacks/cache/main.tf remote-state-target": 1, // reads a stack that does not exist
		"stacks/app/main.tf remote-state-key":      1, // hard-coded environment
		"stacks/web/main.tf remote-state-key":      1, // no environment in the key
		"stacks/odd/main.tf remote-state-key":      1, // another file name
		"stacks/app/main.tf remote-state-config":   1, // literal config object
		"stacks/db/main.tf remote-state-config":    1, // plain object with ${var.environment}
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d findings, want %d", k, got[k], n)
		}
	}
	if len(v.Findings) != 8 {
		t.Errorf("%d findings, want 8: %+v", len(v.Findings), v.Findings)
	}
}

// TestLintRunsTheSecurityChecks: `stacks lint` reports the security suite of internal/blueprintcheck
// (here an IAM wildcard), not only go test.
func TestLintRunsTheSecurityChecks(t *testing.T) {
	root := t.TempDir()
	src, err := os.ReadFile("../../internal/blueprintcheck/testdata/bad-iam/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"stacks/iam/main.tf":     string(src),
		"stacks/iam/versions.tf": "terraform {\n  backend \"s3\" {}\n}\n",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := capture(t, "lint", "--root", root)
	if exitCode(err) != 1 || !strings.Contains(out, `[security-iam] data.aws_iam_policy_document.admin: statement allows Action "*"`) {
		t.Fatalf("exit %d, output:\n%s", exitCode(err), out)
	}
}

// TestExecRunsASealedRequest: the container executor's supervisor opens a sealed request, runs the
// command with the private files written, and returns everything in one sealed result.
func TestExecRunsASealedRequest(t *testing.T) {
	ws := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ws, "stacks", "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	key, err := stackrun.NewSealKey()
	if err != nil {
		t.Fatal(err)
	}
	in := stackrun.PrivateDir + "/dev/a/inputs.tfvars.json"
	out := stackrun.PrivateDir + "/dev/a/plan.tfplan"
	req := stackrun.ContainerRequest{Binary: "sh", Invocation: stackrun.Invocation{Stack: "a", Dir: "stacks/a",
		Args:  []string{"-c", `cat ../../` + in + `; cp ../../` + in + ` ../../` + out + `; echo "key=$` + SealKeyEnv + `" >&2; exit 2`},
		Files: map[string][]byte{in: []byte(`{"token":"s3cr3t"}`)}, Collect: []string{out}}}
	sealed, err := stackrun.Seal(key, req)
	if err != nil {
		t.Fatal(err)
	}
	reqFile, resFile := filepath.Join(t.TempDir(), "req"), filepath.Join(t.TempDir(), "res")
	if err := os.WriteFile(reqFile, []byte(sealed), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(SealKeyEnv, hex.EncodeToString(key))
	if err := execCommand([]string{"--workspace", ws, "--request", reqFile, "--result", resFile}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(resFile)
	if strings.Contains(string(raw), "s3cr3t") {
		t.Fatal("the result file holds plaintext")
	}
	var res stackrun.ContainerResult
	if err := stackrun.Unseal(key, string(raw), &res); err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 2 || string(res.Stdout) != `{"token":"s3cr3t"}` || string(res.Files[out]) != `{"token":"s3cr3t"}` || strings.TrimSpace(string(res.Stderr)) != "key=" {
		t.Fatalf("result %+v stdout %q stderr %q", res, res.Stdout, res.Stderr)
	}
	if _, err := os.Stat(filepath.Join(ws, filepath.FromSlash(in))); !os.IsNotExist(err) {
		t.Fatalf("the private input stayed on disk: %v", err)
	}
}

func TestGuardPassesTheBeaconAfterCall(t *testing.T) {
	got, err := withBeacon([]string{"dagger", "call", "--commit", "abc", "apply", "--env", "local"}, "tcp://127.0.0.1:9")
	if err != nil || strings.Join(got, " ") != "dagger call --cancel-beacon tcp://127.0.0.1:9 --commit abc apply --env local" {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := withBeacon([]string{"dagger", "run", "x"}, "tcp://x"); err == nil {
		t.Fatal("a command without call must be refused")
	}
}
