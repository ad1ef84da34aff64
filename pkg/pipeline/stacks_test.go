package pipeline

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/platformteam/delivery/pkg/ghactions"
	"github.com/platformteam/delivery/pkg/stackrun"
)

func TestFormatCheck(t *testing.T) {
	for _, f := range []Format{FormatText, FormatMarkdown, FormatJSON} {
		if err := f.Check(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if err := Format("yaml").Check(); err == nil || !strings.Contains(err.Error(), "text, markdown or json") {
		t.Errorf("yaml must be refused: %v", err)
	}
}

func TestRenderStacksJSONIsAPublishableReport(t *testing.T) {
	s := &stackrun.Summary{Environment: "staging", Action: stackrun.ActionDrift, Stacks: []stackrun.StackResult{
		{Stack: "shared/vpc", Action: stackrun.ActionDrift, Status: stackrun.StatusSucceeded, Outcome: "drifted", Change: 1, Drifted: true},
		{Stack: "platform/eks", Action: stackrun.ActionDrift, Status: stackrun.StatusFailed, Outcome: "state locked", Error: "lock held by ci"},
	}}
	out, err := RenderStacks(FormatJSON, s, "log", 2)
	if err != nil {
		t.Fatal(err)
	}
	var rep ghactions.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if err := rep.Validate(); err != nil {
		t.Fatalf("report does not validate: %v", err)
	}
	if rep.ExitCode != 1 || rep.Outputs["drifted_stacks"] != "shared/vpc" || rep.Outputs["changed_stacks"] != "shared/vpc" {
		t.Fatalf("a failed stack outranks drift (exit 1); outputs name the stacks: %+v", rep)
	}
	if len(rep.Annotations) != 1 || rep.Annotations[0].Title != "platform/eks" {
		t.Fatalf("annotations: %+v", rep.Annotations)
	}
	text, _ := RenderStacks(FormatText, s, "== shared/vpc\n", 2)
	if !strings.HasPrefix(text, "== shared/vpc\n") || !strings.Contains(text, "shared/vpc") {
		t.Fatalf("text keeps the per-stack log then the summary:\n%s", text)
	}
	if md, _ := RenderStacks(FormatMarkdown, s, "log", 2); md != s.Markdown() {
		t.Fatalf("markdown is the summary's:\n%s", md)
	}
	changes := StackChanges(s)
	if len(changes) != 2 || changes[0].Stack != "shared/vpc" || !changes[0].Changed() {
		t.Fatalf("stack changes %+v", changes)
	}
}

func TestNoStacksReport(t *testing.T) {
	out, err := RenderNoStacks(FormatJSON, "nothing to plan")
	if err != nil {
		t.Fatal(err)
	}
	rep := ghactions.Report{}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.ExitCode != 0 || rep.Markdown != "nothing to plan\n" {
		t.Fatalf("report: %+v %v", rep, err)
	}
	if text, _ := RenderNoStacks(FormatText, "nothing to plan"); text != "nothing to plan\n" {
		t.Fatalf("text %q", text)
	}
}
