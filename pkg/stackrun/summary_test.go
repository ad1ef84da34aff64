package stackrun

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestSummaryMarkdownAndJSON(t *testing.T) {
	sum := &Summary{Environment: "staging", Action: ActionApply, Parallelism: 4, Duration: 12 * time.Second, Guard: 1500 * time.Millisecond, Stacks: []StackResult{
		{Stack: "shared/vpc", Action: ActionApply, Status: StatusSucceeded, Outcome: "applied", Add: 3, Duration: 4200 * time.Millisecond, Start: 1600 * time.Millisecond},
		{Stack: "shared/iam", Action: ActionApply, Status: StatusFailed, Outcome: "state locked", Error: "state lock held: a|b"},
		{Stack: "platform/ecs", Action: ActionApply, Status: StatusSkipped, Outcome: "skipped", SkippedBecause: "shared/iam"},
	}}
	md := sum.Markdown()
	for _, want := range []string{
		"### stacks apply · staging",
		"| `shared/vpc` | apply | ✅ applied | 3 | 0 | 0 | 4.2s | +1.6s |  |",
		"| `shared/iam` | apply | ❌ state locked | 0 | 0 | 0 | 0s |  | state lock held: a\\|b |",
		"| `platform/ecs` | apply | ⏭️ skipped | 0 | 0 | 0 | 0s |  | upstream shared/iam did not succeed |",
		"3 stacks in 12s (parallelism 4, account guard 1.5s): 1 succeeded, 1 failed, 1 skipped.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	raw, err := sum.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Failed   int     `json:"failed"`
		Skipped  int     `json:"skipped"`
		Duration float64 `json:"duration_seconds"`
		Guard    float64 `json:"account_guard_seconds"`
		Stacks   []struct {
			Stack    string  `json:"stack"`
			Duration float64 `json:"duration_seconds"`
			Start    float64 `json:"start_seconds"`
			Add      int     `json:"add"`
		} `json:"stacks"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if v.Failed != 1 || v.Skipped != 1 || v.Duration != 12 || v.Stacks[0].Duration != 4.2 || v.Stacks[0].Start != 1.6 || v.Guard != 1.5 || v.Stacks[0].Add != 3 {
		t.Fatalf("json %s", raw)
	}
}

func TestFingerprintDifferencesNameWhatChanged(t *testing.T) {
	old := Fingerprint{Files: map[string]string{"a.tf": "1", "b.tf": "2"}, Inputs: "i", Backend: "b", Upstreams: map[string]string{"shared/vpc": "o"}}
	cur := Fingerprint{Files: map[string]string{"a.tf": "9", "c.tf": "3"}, Inputs: "j", Backend: "b", Upstreams: map[string]string{"shared/vpc": "p"}}
	got := strings.Join(old.Differences(cur), "; ")
	for _, want := range []string{"a.tf changed", "b.tf was deleted", "c.tf was added", "tfvars values", "outputs of upstream shared/vpc changed"} {
		if !strings.Contains(got, want) {
			t.Errorf("differences %q lack %q", got, want)
		}
	}
	if d := old.Differences(old); len(d) != 0 {
		t.Fatalf("identical fingerprints differ: %v", d)
	}
}
