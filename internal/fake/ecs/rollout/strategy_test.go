package rollout

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platformteam/delivery/internal/fake/ecs"
)

const (
	blue  = "arn:tg/blue"
	green = "arn:tg/green"
	prod  = "arn:rule/prod"
	test  = "arn:rule/test"
)

// fakeCloud keeps listener rule weights and alarm states in memory.
type fakeCloud struct {
	mu      sync.Mutex
	weights map[string]map[string]int32
	alarm   map[string]bool
	history []string // "rule blue/green" per change
}

func (c *fakeCloud) RuleWeights(_ context.Context, rule string) (map[string]int32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int32{}
	for k, v := range c.weights[rule] {
		out[k] = v
	}
	return out, nil
}

func (c *fakeCloud) SetRuleWeights(_ context.Context, rule string, w map[string]int32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.weights[rule] = w
	c.history = append(c.history, rule+" "+itoa(w[blue])+"/"+itoa(w[green]))
	return nil
}

func (c *fakeCloud) InAlarm(_ context.Context, names []string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, n := range names {
		if c.alarm[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

func itoa(v int32) string { return strconv.Itoa(int(v)) }

func strategySetup(t *testing.T, dc ecs.DeploymentConfiguration) (*fakeECS, *clock, *fakeCloud, string) {
	t.Helper()
	f := &fakeECS{td: "td:1", created: "td:1", images: map[string]string{"td:1": "repo@sha256:1", "td:2": "repo@sha256:2"}}
	backend := httptest.NewServer(f)
	t.Cleanup(backend.Close)
	sim, err := New(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	cloud := &fakeCloud{weights: map[string]map[string]int32{prod: {blue: 100, green: 0}, test: {blue: 100, green: 0}}, alarm: map[string]bool{}}
	sim.Now, sim.Cloud, sim.Minute, sim.StageTime, sim.RolloutTime = c.now, cloud, 10*time.Second, time.Second, 2*time.Second
	front := httptest.NewServer(sim)
	t.Cleanup(front.Close)
	ecsCall(t, front.URL, "UpdateService", map[string]any{"cluster": "c", "service": "demo", "deploymentConfiguration": dc,
		"loadBalancers": []ecs.LoadBalancer{{TargetGroupArn: blue, ContainerName: "app", ContainerPort: 8080,
			AdvancedConfiguration: &ecs.AdvancedConfiguration{AlternateTargetGroupArn: green, ProductionListenerRule: prod, TestListenerRule: test, RoleArn: "arn:role"}}}})
	ecsCall(t, front.URL, "UpdateService", map[string]any{"cluster": "c", "service": "demo", "taskDefinition": "td:2"})
	return f, c, cloud, front.URL
}

func serviceDeployment(t *testing.T, url string) map[string]any {
	t.Helper()
	list := ecsCall(t, url, "ListServiceDeployments", map[string]any{"cluster": "c", "service": "demo"})
	briefs := list["serviceDeployments"].([]any)
	if len(briefs) == 0 {
		t.Fatal("no service deployment listed")
	}
	arn := briefs[0].(map[string]any)["serviceDeploymentArn"].(string)
	out := ecsCall(t, url, "DescribeServiceDeployments", map[string]any{"serviceDeploymentArns": []string{arn}})
	return out["serviceDeployments"].([]any)[0].(map[string]any)
}

func prodWeight(sd map[string]any) float64 {
	w, _ := sd["targetServiceRevision"].(map[string]any)["requestedProductionTrafficWeight"].(float64)
	return w
}

func i32(v int32) *int32     { return &v }
func f64(v float64) *float64 { return &v }

func TestLinearShiftsTrafficInStepsBakesAndSucceeds(t *testing.T) {
	dc := ecs.DeploymentConfiguration{Strategy: "LINEAR", BakeTimeInMinutes: i32(1),
		LinearConfiguration: &ecs.LinearConfiguration{StepPercent: f64(40), StepBakeTimeInMinutes: i32(1)},
		Alarms:              &ecs.DeploymentAlarms{AlarmNames: []string{"5xx"}, Enable: true, Rollback: true},
		LifecycleHooks:      []ecs.LifecycleHook{{HookTargetArn: "arn:lambda:smoke", LifecycleStages: []string{"POST_TEST_TRAFFIC_SHIFT"}}}}
	_, c, cloud, url := strategySetup(t, dc)
	var stages []string
	var weights []float64
	sawHook := false
	for i := 0; i < 200; i++ {
		sd := serviceDeployment(t, url)
		st := sd["lifecycleStage"].(string)
		if len(stages) == 0 || stages[len(stages)-1] != st {
			stages = append(stages, st)
		}
		if w := prodWeight(sd); st == "PRODUCTION_TRAFFIC_SHIFT" && (len(weights) == 0 || weights[len(weights)-1] != w) {
			weights = append(weights, w)
		}
		if hooks, _ := sd["lifecycleHookDetails"].([]any); len(hooks) > 0 && st == "POST_TEST_TRAFFIC_SHIFT" {
			sawHook = hooks[0].(map[string]any)["targetArn"] == "arn:lambda:smoke"
		}
		if sd["status"] == "SUCCESSFUL" {
			break
		}
		c.t = c.t.Add(500 * time.Millisecond)
	}
	if got := strings.Join(stages, ","); got != "PRE_SCALE_UP,SCALE_UP,POST_SCALE_UP,TEST_TRAFFIC_SHIFT,POST_TEST_TRAFFIC_SHIFT,PRODUCTION_TRAFFIC_SHIFT,POST_PRODUCTION_TRAFFIC_SHIFT,BAKE_TIME,CLEAN_UP" {
		t.Fatalf("stages %s", got)
	}
	if len(weights) != 3 || weights[0] != 40 || weights[1] != 80 || weights[2] != 100 {
		t.Fatalf("production steps %v, want 40 80 100", weights)
	}
	if !sawHook {
		t.Fatal("the hook's Lambda ARN must be reported at its stage")
	}
	if got := strings.Join(cloud.history, ","); got != "arn:rule/test 0/100,arn:rule/prod 60/40,arn:rule/prod 20/80,arn:rule/prod 0/100" {
		t.Fatalf("listener weights changed %s", got)
	}
	td, deps, _ := deployments(t, url)
	if td != "td:2" || len(deps) != 1 || deps[0]["rolloutState"] != "COMPLETED" {
		t.Fatalf("service after success: %s %v", td, deps)
	}
	if got := c.t.Sub(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)); got < 2*10*time.Second || got > 40*time.Second {
		t.Fatalf("the deployment took %s: two step waits and a bake of a compressed minute (10 s) each plus the stages", got)
	}
}

func TestAlarmDuringCanaryRollsBackTrafficAndTaskDefinition(t *testing.T) {
	dc := ecs.DeploymentConfiguration{Strategy: "CANARY",
		CanaryConfiguration: &ecs.CanaryConfiguration{CanaryPercent: f64(10), CanaryBakeTimeInMinutes: i32(5)},
		Alarms:              &ecs.DeploymentAlarms{AlarmNames: []string{"5xx", "latency"}, Enable: true, Rollback: true}}
	f, c, cloud, url := strategySetup(t, dc)
	for i := 0; i < 100 && prodWeight(serviceDeployment(t, url)) != 10; i++ {
		c.t = c.t.Add(500 * time.Millisecond)
	}
	if w := cloud.weights[prod]; w[green] != 10 || w[blue] != 90 {
		t.Fatalf("canary weights %v", w)
	}
	cloud.mu.Lock()
	cloud.alarm["latency"] = true
	cloud.mu.Unlock()
	sd := serviceDeployment(t, url)
	if sd["status"] != "ROLLBACK_IN_PROGRESS" || !strings.Contains(sd["statusReason"].(string), "latency") {
		t.Fatalf("want the rollback to start at once: %v", sd)
	}
	c.t = c.t.Add(2 * time.Second)
	sd = serviceDeployment(t, url)
	alarms := sd["alarms"].(map[string]any)
	if sd["status"] != "ROLLBACK_SUCCESSFUL" || alarms["status"] != "TRIGGERED" || alarms["triggeredAlarmNames"].([]any)[0] != "latency" ||
		sd["rollback"] == nil || sd["finishedAt"] == nil {
		t.Fatalf("after the rollback: %v", sd)
	}
	if w := cloud.weights[prod]; w[green] != 0 || w[blue] != 100 {
		t.Fatalf("production traffic must be back on blue: %v", w)
	}
	td, deps, _ := deployments(t, url)
	if td != "td:1" || deps[0]["taskDefinition"] != "td:1" || deps[0]["status"] != "PRIMARY" || deps[1]["rolloutState"] != "FAILED" {
		t.Fatalf("service after the rollback: %s %v", td, deps)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if last := f.updates[len(f.updates)-1]; last != "td:1" {
		t.Fatalf("the rollback must point the backend's service at td:1: %v", f.updates)
	}
}

func TestNextDeploymentStartsFromTheGroupServingProduction(t *testing.T) {
	dc := ecs.DeploymentConfiguration{Strategy: "BLUE_GREEN", BakeTimeInMinutes: i32(0)}
	_, c, cloud, url := strategySetup(t, dc)
	for i := 0; i < 100 && serviceDeployment(t, url)["status"] != "SUCCESSFUL"; i++ {
		c.t = c.t.Add(time.Second)
	}
	if w := cloud.weights[prod]; w[green] != 100 {
		t.Fatalf("after blue/green the green group serves production: %v", w)
	}
	ecsCall(t, url, "UpdateService", map[string]any{"cluster": "c", "service": "demo", "taskDefinition": "td:1"})
	for i := 0; i < 100 && serviceDeployment(t, url)["status"] != "SUCCESSFUL"; i++ {
		c.t = c.t.Add(time.Second)
	}
	if w := cloud.weights[prod]; w[blue] != 100 || w[green] != 0 {
		t.Fatalf("the second deployment must move production back to the other group: %v", w)
	}
	if n := len(ecsCall(t, url, "ListServiceDeployments", map[string]any{"cluster": "c", "service": "demo"})["serviceDeployments"].([]any)); n != 2 {
		t.Fatalf("two service deployments listed, got %d", n)
	}
}
