package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/platformteam/delivery/pkg/diagnosis"
	"github.com/platformteam/delivery/pkg/ghactions"
	"github.com/platformteam/delivery/pkg/release/api"
)

// The failure reasons of a rollout reach the text, the markdown (the step summary) and the JSON
// report, with the credentials found in them masked everywhere and listed as the report's masks.
func TestFailureReasonsReachEveryFormatMasked(t *testing.T) {
	const token = "FwoGZXIvYXdzEJr-session-token"
	exit := int32(137)
	f := newFake(t)
	f.ecs = func() (api.ECSResult, error) {
		res := api.ECSResult{Outcome: api.RolledBack, Image: f.art.Ref(), PreviousTaskDefinition: "arn:aws:ecs:ap-southeast-2:222222222222:task-definition/demo-app:3",
			TaskDefinition: "arn:aws:ecs:ap-southeast-2:222222222222:task-definition/demo-app:4", RunningTaskDefinition: "arn:aws:ecs:ap-southeast-2:222222222222:task-definition/demo-app:3",
			Failure: "circuit-breaker", Reason: "tasks failed to start",
			Diagnosis: &diagnosis.Diagnosis{
				Tasks: []diagnosis.Task{{ID: "t2", TaskDefinition: "demo-app:4", StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
					Containers: []diagnosis.Container{{Name: "app", State: "STOPPED", Reason: "OutOfMemoryError", ExitCode: &exit}}}},
				Events: []diagnosis.Event{{At: time.Date(2026, 11, 30, 0, 1, 0, 0, time.UTC),
					Message: "(service demo-app) failed to pull https://registry.test/v2/x?X-Amz-Security-Token=" + token}},
			}}
		return res, &api.FailedError{Target: api.ECS, Outcome: api.RolledBack, Cause: errors.New("circuit breaker"), Running: "task definition demo-app:3"}
	}
	r := Deploy(context.Background(), f, Request{Env: "staging", Accounts: []string{"222222222222"}, Now: clock()})
	text, _ := r.Render(FormatText)
	md, _ := r.Render(FormatMarkdown)
	raw, _ := r.Render(FormatJSON)
	var rep ghactions.Report
	if err := json.Unmarshal([]byte(raw), &rep); err != nil {
		t.Fatal(err)
	}
	// The report's masks hold the credential (the runner's add-mask needs the value); nothing else does.
	unmasked := rep
	unmasked.Masks = nil
	withoutMasks, _ := json.Marshal(unmasked)
	for name, out := range map[string]string{"text": text, "markdown": md, "json": string(withoutMasks)} {
		if strings.Contains(out, token) {
			t.Fatalf("%s shows the credential:\n%s", name, out)
		}
		for _, want := range []string{"task t2 (demo-app:4) stopped [EssentialContainerExited]: Essential container in task exited",
			"container app STOPPED OutOfMemoryError exit code 137", "X-Amz-Security-Token=***"} {
			if !strings.Contains(out, want) {
				t.Fatalf("%s lacks %q:\n%s", name, want, out)
			}
		}
	}
	if !strings.Contains(text, "  why ecs failed:\n    task t2") || !strings.Contains(md, "**Why ecs failed:**\n\n```text\ntask t2") {
		t.Fatalf("layout:\n%s\n%s", text, md)
	}
	if len(rep.Masks) != 2 || rep.Masks[0] != "222222222222" || rep.Masks[1] != token {
		t.Fatalf("masks %v: the touched accounts and the credential found", rep.Masks)
	}
}
