package pipeline

import (
	"strings"
	"testing"

	"github.com/platformteam/delivery/pkg/release/api"
)

// A followed blue/green, linear or canary deployment is summarised under its rollout in the text and
// markdown reports.
func TestReportShowsTheECSStrategySteps(t *testing.T) {
	summary := "LINEAR: SCALE_UP, PRODUCTION_TRAFFIC_SHIFT 50% → 100%, BAKE_TIME, CLEAN_UP, SUCCESSFUL"
	r := &Run{Env: "staging", Rollouts: []Rollout{{Rollout: api.Rollout{Target: api.ECS, Outcome: api.Deployed, What: "task definition",
		Previous: "demo-app:3", Current: "demo-app:4", Created: "demo-app:4", Strategy: summary}}}}
	if text := r.Text(); !strings.Contains(text, "           "+summary) {
		t.Fatalf("text lacks the strategy line:\n%s", text)
	}
	if md := r.Markdown(); !strings.Contains(md, "ecs deployment: "+mdEscape(summary)) {
		t.Fatalf("markdown lacks the strategy line:\n%s", md)
	}
}
