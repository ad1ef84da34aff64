package pipeline

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fakeClock advances by step on every reading, so step durations are known.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(step); return t }
}

func TestStepRecordsOutcomeAndDuration(t *testing.T) {
	r := New("staging")
	r.now = fakeClock(2 * time.Second)
	if err := r.Step("build", func() (string, bool, error) { return "cached", false, nil }); err != nil {
		t.Fatal(err)
	}
	err := r.Step("deploy-ecs", func() (string, bool, error) { return "", true, errors.New("circuit breaker rolled back") })
	if err == nil || !strings.HasPrefix(err.Error(), "deploy-ecs: ") {
		t.Fatalf("error must name the step: %v", err)
	}
	r.Skip("deploy-eks", "deploy-ecs failed")
	if got := r.Steps[0]; got.Status != StatusNoChange || got.Duration != 2*time.Second {
		t.Fatalf("build step: %+v", got)
	}
	if got := r.Steps[1]; got.Status != StatusFailed || got.Detail != "circuit breaker rolled back" {
		t.Fatalf("failed step: %+v", got)
	}
	if !r.Failed() || r.Total() != 4*time.Second || r.Steps[2].Status != StatusSkipped {
		t.Fatalf("run: failed=%v total=%v", r.Failed(), r.Total())
	}
	rep := r.Report()
	if rep.ExitCode != 1 || len(rep.Annotations) != 1 || rep.Annotations[0].Title != "deploy-ecs" {
		t.Fatalf("report of a failed run: %+v", rep)
	}
}

func TestNoChangeRun(t *testing.T) {
	r := New("local")
	r.Image = &Image{Ref: "127.0.0.1:5000/demo-app@sha256:aa", Digest: "sha256:aa", CommitSHA: "abc1234"}
	r.Stacks = []StackChange{{Stack: "shared/vpc", Action: "apply", Status: "ok"}}
	r.Rollouts = []Rollout{
		{Target: "ecs", What: "task definition", Old: "arn:td/demo:3", New: "arn:td/demo:3"},
		{Target: "eks", What: "helm revision", Old: "2", New: "2"},
	}
	r.Verified = true
	if r.Changed() {
		t.Fatal("nothing changed")
	}
	text := r.Text()
	for _, want := range []string{"deploy local: no change", "task definition arn:td/demo:3 (no change)", "running digest = sha256:aa", "stacks   0 of 1 changed"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if md := r.Markdown(); !strings.Contains(md, "### Deploy `local`: no change") || !strings.Contains(md, "| eks | helm revision | `2` | no change |") {
		t.Errorf("markdown:\n%s", md)
	}
}

func TestChangedRunReportsOldToNew(t *testing.T) {
	r := New("staging")
	r.Image = &Image{Ref: "repo@sha256:bb", Digest: "sha256:bb", CommitSHA: "def5678"}
	r.Stacks = []StackChange{{Stack: "apps/demo-app/ecs", Action: "apply", Add: 1, Change: 2, Status: "ok"}}
	r.Rollouts = []Rollout{{Target: "ecs", What: "task definition", Old: "demo:3", New: "demo:4", Changed: true}}
	if !r.Changed() {
		t.Fatal("a rollout changed")
	}
	if text := r.Text(); !strings.Contains(text, "ecs      task definition demo:3 → demo:4") || !strings.Contains(text, "apps/demo-app/ecs") {
		t.Errorf("text:\n%s", text)
	}
	rep := r.Report()
	if rep.ExitCode != 0 || rep.Outputs["digest"] != "sha256:bb" || rep.Outputs["ecs_new"] != "demo:4" || rep.Outputs["changed"] != "true" {
		t.Fatalf("outputs: %+v", rep.Outputs)
	}
	if err := rep.Validate(); err != nil {
		t.Fatalf("report must validate: %v", err)
	}
}
