package render

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
	out, err := Stacks(FormatJSON, s, "log", 2)
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
	text, _ := Stacks(FormatText, s, "== shared/vpc\n", 2)
	if !strings.HasPrefix(text, "== shared/vpc\n") || !strings.Contains(text, "shared/vpc") {
		t.Fatalf("text keeps the per-stack log then the summary:\n%s", text)
	}
}

func TestNoStacksReport(t *testing.T) {
	out, err := NoStacks(FormatJSON, "nothing to plan")
	if err != nil {
		t.Fatal(err)
	}
	rep := ghactions.Report{}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.ExitCode != 0 || rep.Markdown != "nothing to plan\n" {
		t.Fatalf("report: %+v %v", rep, err)
	}
}

func TestRolloutLines(t *testing.T) {
	if got := ECSLine(ECSResult{Previous: "td:3", New: "td:4"}); got != "ecs: task definition td:3 → td:4\n" {
		t.Errorf("ecs line %q", got)
	}
	if got := ECSLine(ECSResult{Previous: "td:4", Outcome: "unchanged"}); !strings.Contains(got, "unchanged") {
		t.Errorf("ecs unchanged line %q", got)
	}
	if got := HelmLine(HelmResult{Old: 0, New: 1}); got != "eks: helm revision (none) → 1\n" {
		t.Errorf("helm line %q", got)
	}
}

func TestRollbackLine(t *testing.T) {
	ecs := `{"cluster":"c","service":"s","from":"arn:td/demo:2","to":"arn:td/demo:1","image":"repo@sha256:1","polls":3}`
	if got := RollbackLine("ecs", ecs); got != "ecs: rolled back, task definition arn:td/demo:2 → arn:td/demo:1 (repo@sha256:1)\n" {
		t.Errorf("ecs: %q", got)
	}
	eks := `{"release":"demo","from":2,"target":1,"to":3}`
	if got := RollbackLine("eks", eks); got != "eks: rolled back, helm revision 2 → 3 (content of revision 1)\n" {
		t.Errorf("eks: %q", got)
	}
	if got := RollbackLine("eks", "not json"); got != "not json" {
		t.Errorf("unexpected output must be shown as is: %q", got)
	}
}
