package ghactions

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// actionsEnv fakes a runner: GITHUB_ACTIONS plus the files the runner reads outputs and summaries from.
func actionsEnv(t *testing.T) (func(string) string, string, string) {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "output")
	sum := filepath.Join(dir, "summary")
	for _, f := range []string{out, sum} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out, "GITHUB_STEP_SUMMARY": sum}
	return func(k string) string { return env[k] }, out, sum
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPublishOnActions(t *testing.T) {
	getenv, outFile, sumFile := actionsEnv(t)
	var log bytes.Buffer
	r := New(&log, getenv)
	if !r.OnActions() {
		t.Fatal("GITHUB_ACTIONS=true must be detected")
	}
	r.Publish(Report{
		Markdown: "| stack | action |\n|---|---|\n| shared/vpc | apply |\n",
		Outputs:  map[string]string{"digest": "sha256:abc", "changed": "2"},
		Annotations: []Annotation{
			{Level: LevelError, File: "stacks/shared/vpc/main.tf", Line: 12, Title: "module-inputs", Message: "missing variable cidr"},
			{Level: LevelWarning, Message: "drift in platform/eks"},
		},
		Masks: []string{"s3cr3t", " "},
	})
	got := log.String()
	for _, want := range []string{
		"::add-mask::s3cr3t",
		"::error file=stacks/shared/vpc/main.tf,line=12,title=module-inputs::missing variable cidr",
		"::warning::drift in platform/eks",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "::add-mask::") != 1 {
		t.Errorf("blank values must not be masked:\n%s", got)
	}
	if strings.Contains(got, "shared/vpc | apply") {
		t.Errorf("summary must go to the summary file, not the log")
	}
	if s := read(t, sumFile); !strings.Contains(s, "| shared/vpc | apply |") {
		t.Errorf("summary file: %q", s)
	}
	outputs := read(t, outFile)
	for _, k := range []string{"digest", "changed"} {
		if !strings.Contains(outputs, k+"<<") {
			t.Errorf("output %s not written to GITHUB_OUTPUT: %q", k, outputs)
		}
	}
	if strings.Index(outputs, "changed<<") > strings.Index(outputs, "digest<<") {
		t.Errorf("outputs must be written in key order: %q", outputs)
	}
}

func TestPublishPlain(t *testing.T) {
	var log bytes.Buffer
	r := New(&log, func(string) string { return "" })
	if r.OnActions() {
		t.Fatal("no GITHUB_ACTIONS: plain mode expected")
	}
	r.Group("plan shared/vpc", func() { log.WriteString("body\n") })
	r.Publish(Report{
		Markdown:    "## Plan\n",
		Outputs:     map[string]string{"digest": "sha256:abc"},
		Annotations: []Annotation{{Level: LevelError, File: "a.tf", Line: 3, Message: "bad"}},
		Masks:       []string{"s3cr3t"},
	})
	want := "== plan shared/vpc\nbody\nerror: a.tf:3: bad\ndigest=sha256:abc\n## Plan\n"
	if log.String() != want {
		t.Fatalf("plain output:\n%q\nwant\n%q", log.String(), want)
	}
}

func TestGroupOnActions(t *testing.T) {
	getenv, _, _ := actionsEnv(t)
	var log bytes.Buffer
	New(&log, getenv).Group("apply shared/vpc", func() { log.WriteString("inside\n") })
	if log.String() != "::group::apply shared/vpc\ninside\n::endgroup::\n" {
		t.Fatalf("group: %q", log.String())
	}
}

func TestReadReportValidates(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, err := ReadReport(filepath.Join(dir, "absent.json")); err == nil || !strings.Contains(err.Error(), "did the pipeline step export it") {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := ReadReport(write("bad.json", "{")); err == nil || !strings.Contains(err.Error(), "parse report") {
		t.Fatalf("malformed: %v", err)
	}
	bad := write("invalid.json", `{"outputs":{"a b":"x"},"annotations":[{"level":"fatal","message":""}],"exit_code":300}`)
	_, err := ReadReport(bad)
	for _, want := range []string{`output name "a b"`, `level "fatal"`, "message is empty", "exit_code 300"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
	ok := write("ok.json", `{"markdown":"x","outputs":{"digest":"sha256:1"},"exit_code":2}`)
	rep, err := ReadReport(ok)
	if err != nil || rep.ExitCode != 2 || rep.Outputs["digest"] != "sha256:1" {
		t.Fatalf("good report: %+v %v", rep, err)
	}
}
