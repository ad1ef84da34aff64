package ecsdeploy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	fakeecs "github.com/platformteam/delivery/internal/fake/ecs"
	"github.com/platformteam/delivery/internal/fake/ecs/scenario"
	"github.com/platformteam/delivery/pkg/ecsdeploy"
	"github.com/platformteam/delivery/pkg/release/api"
)

const (
	blueTG   = "arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:targetgroup/demo-blue/0123456789abcdef"
	greenTG  = "arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:targetgroup/demo-green/fedcba9876543210"
	prodRule = "arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:listener-rule/app/demo/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"
	ecsRole  = "arn:aws:iam::123456789012:role/demo-app-ecs-infrastructure"
	smoke    = "arn:aws:lambda:ap-southeast-2:123456789012:function:demo-app-smoke"
)

func strategyRig(t *testing.T) *rig {
	r := newRig(t)
	r.server.SetLoadBalancers("demo", "demo-app", []fakeecs.LoadBalancer{{TargetGroupArn: blueTG, ContainerName: "app", ContainerPort: 3000}})
	return r
}

func linear() *ecsdeploy.Strategy {
	return &ecsdeploy.Strategy{Kind: types.DeploymentStrategyLinear, StepPercent: 25, StepIntervalMinutes: aws.Int32(1), BakeTimeMinutes: aws.Int32(2),
		Alarms: []string{"demo-app-5xx"}, TargetGroup: blueTG, AlternateTargetGroup: greenTG, ProductionListenerRule: prodRule, RoleARN: ecsRole,
		Hooks: []ecsdeploy.Hook{{Stages: []string{"PRE_SCALE_UP"}, Lambda: smoke, RoleARN: ecsRole}}}
}

// linearSteps is a linear deployment of 2 tasks in 25 % steps a minute apart, a 2-minute bake, as ECS reports it.
func linearSteps() scenario.DeploymentScript {
	s := scenario.DeploymentScript{
		{After: 0, Status: "PENDING"},
		{After: time.Second, Status: "IN_PROGRESS", Stage: "PRE_SCALE_UP", Hooks: []fakeecs.LifecycleHookDetail{{HookID: "h1", TargetArn: smoke, TargetType: "AWS_LAMBDA", Status: "SUCCEEDED"}}},
		{After: 3 * time.Second, Status: "IN_PROGRESS", Stage: "SCALE_UP", Running: 1},
		{After: 6 * time.Second, Status: "IN_PROGRESS", Stage: "TEST_TRAFFIC_SHIFT", Running: 2, Test: scenario.Weight(100)},
	}
	for i, w := range []float64{25, 50, 75, 100} {
		s = append(s, scenario.DeploymentStep{After: time.Duration(10+60*i) * time.Second, Status: "IN_PROGRESS", Stage: "PRODUCTION_TRAFFIC_SHIFT", Running: 2, Production: scenario.Weight(w)})
	}
	return append(s,
		scenario.DeploymentStep{After: 200 * time.Second, Status: "IN_PROGRESS", Stage: "BAKE_TIME", Running: 2, Production: scenario.Weight(100)},
		scenario.DeploymentStep{After: 320 * time.Second, Status: "IN_PROGRESS", Stage: "CLEAN_UP", Running: 2, Production: scenario.Weight(100)},
		scenario.DeploymentStep{After: 325 * time.Second, Status: "SUCCESSFUL", Stage: "CLEAN_UP", Running: 2, Production: scenario.Weight(100),
			Reason: "Service deployment completed."},
	)
}

func TestLinearDeployPassesTheStrategyAndFollowsEveryStep(t *testing.T) {
	r := strategyRig(t)
	r.server.QueueDeployment(linearSteps())
	req := r.request()
	req.Strategy = linear()
	req.Timeout = 10 * time.Minute
	res, err := r.deployer.Deploy(context.Background(), req)
	if err != nil || res.Outcome != api.Deployed {
		t.Fatalf("deploy: %v (%+v)\n%s", err, res, r.out)
	}
	updates := r.server.Updates()
	if len(updates) != 1 {
		t.Fatalf("want one UpdateService, got %d", len(updates))
	}
	dc, _ := updates[0]["deploymentConfiguration"].(map[string]any)
	lin, _ := dc["linearConfiguration"].(map[string]any)
	alarms, _ := dc["alarms"].(map[string]any)
	if dc["strategy"] != "LINEAR" || lin["stepPercent"] != 25.0 || lin["stepBakeTimeInMinutes"] != 1.0 || dc["bakeTimeInMinutes"] != 2.0 ||
		alarms["rollback"] != true || alarms["enable"] != true || len(dc["lifecycleHooks"].([]any)) != 1 {
		t.Fatalf("UpdateService did not carry the strategy: %v", dc)
	}
	lbs, _ := updates[0]["loadBalancers"].([]any)
	adv, _ := lbs[0].(map[string]any)["advancedConfiguration"].(map[string]any)
	if adv["alternateTargetGroupArn"] != greenTG || adv["productionListenerRule"] != prodRule || adv["roleArn"] != ecsRole {
		t.Fatalf("UpdateService did not carry the load balancer's advanced configuration: %v", lbs)
	}
	var weights []float64
	var stages []string
	for _, s := range res.Stages {
		if s.ProductionTrafficPercent != nil && s.Stage == "PRODUCTION_TRAFFIC_SHIFT" {
			weights = append(weights, *s.ProductionTrafficPercent)
		}
		if s.Stage != "" && (len(stages) == 0 || stages[len(stages)-1] != s.Stage) {
			stages = append(stages, s.Stage)
		}
	}
	if got := strings.Join(stages, ","); got != "PRE_SCALE_UP,SCALE_UP,TEST_TRAFFIC_SHIFT,PRODUCTION_TRAFFIC_SHIFT,BAKE_TIME,CLEAN_UP" {
		t.Fatalf("stages %s", got)
	}
	if len(weights) != 4 || weights[0] != 25 || weights[3] != 100 {
		t.Fatalf("traffic steps %v, want 25 50 75 100", weights)
	}
	if res.Strategy != "LINEAR" || !strings.Contains(res.ServiceDeployment, ":service-deployment/demo/demo-app/") {
		t.Fatalf("result: %+v", res)
	}
	log := r.out.String()
	for _, want := range []string{"deployment strategy: LINEAR (25% of production traffic every 1m; bake 2m; rollback on alarms demo-app-5xx; hook " + smoke + " at PRE_SCALE_UP)",
		"production traffic 50% new / 50% old", "test traffic 100% new", "hook " + smoke + " (AWS_LAMBDA): SUCCEEDED at PRE_SCALE_UP", "SUCCESSFUL CLEAN_UP"} {
		if !strings.Contains(log, want) {
			t.Fatalf("progress lacks %q:\n%s", want, log)
		}
	}
}

func TestAlarmRollbackByECSIsReportedWithItsReasonAndNotRedeployed(t *testing.T) {
	r := strategyRig(t)
	r.server.QueueDeployment(scenario.DeploymentScript{
		{After: 0, Status: "IN_PROGRESS", Stage: "SCALE_UP", Running: 1},
		{After: 3 * time.Second, Status: "IN_PROGRESS", Stage: "PRODUCTION_TRAFFIC_SHIFT", Running: 2, Production: scenario.Weight(10)},
		{After: 20 * time.Second, Status: "ROLLBACK_IN_PROGRESS", Stage: "PRODUCTION_TRAFFIC_SHIFT", Running: 2, Production: scenario.Weight(0),
			Triggered: []string{"demo-app-5xx"}, Reason: "CloudWatch alarm demo-app-5xx is in ALARM", RollbackReason: "alarm demo-app-5xx in ALARM"},
		{After: 25 * time.Second, Status: "ROLLBACK_SUCCESSFUL", Stage: "CLEAN_UP", Production: scenario.Weight(0),
			Triggered: []string{"demo-app-5xx"}, Reason: "CloudWatch alarm demo-app-5xx is in ALARM", RollbackReason: "alarm demo-app-5xx in ALARM"},
	})
	req := r.request()
	req.Strategy = &ecsdeploy.Strategy{Kind: types.DeploymentStrategyCanary, StepPercent: 10, StepIntervalMinutes: aws.Int32(5),
		Alarms: []string{"demo-app-5xx"}, TargetGroup: blueTG, AlternateTargetGroup: greenTG, ProductionListenerRule: prodRule, RoleARN: ecsRole}
	res, err := r.deployer.Deploy(context.Background(), req)
	var failed *api.FailedError
	if !errors.As(err, &failed) || !failed.RolledBack() {
		t.Fatalf("want a rolled-back failure, got %v (%+v)\n%s", err, res, r.out)
	}
	if res.Outcome != api.RolledBack || res.Failure != ecsdeploy.FailureECSRollback || res.RunningTaskDefinition != r.previous {
		t.Fatalf("result %+v", res)
	}
	for _, want := range []string{"ROLLBACK_SUCCESSFUL", "alarms in ALARM: demo-app-5xx", "CloudWatch alarm demo-app-5xx is in ALARM"} {
		if !strings.Contains(res.Reason, want) {
			t.Fatalf("reason lacks %q: %s", want, res.Reason)
		}
	}
	if n := r.server.Calls("UpdateService"); n != 1 {
		t.Fatalf("ECS rolled back itself: want no second UpdateService, got %d calls", n)
	}
	if !strings.Contains(r.out.String(), "ECS is rolling back: alarms in ALARM: demo-app-5xx") {
		t.Fatalf("progress does not report the rollback as it starts:\n%s", r.out)
	}
}

func TestStoppedServiceDeploymentIsAFailureAndTheDeployRestores(t *testing.T) {
	r := strategyRig(t)
	r.server.QueueDeployment(scenario.DeploymentScript{
		{After: 0, Status: "IN_PROGRESS", Stage: "SCALE_UP", Running: 1},
		{After: 4 * time.Second, Status: "STOPPED", Stage: "SCALE_UP", Running: 1, Reason: "stopped by StopServiceDeployment"},
	})
	req := r.request()
	req.Strategy = &ecsdeploy.Strategy{Kind: types.DeploymentStrategyBlueGreen, TargetGroup: blueTG, AlternateTargetGroup: greenTG, ProductionListenerRule: prodRule, RoleARN: ecsRole}
	res, err := r.deployer.Deploy(context.Background(), req)
	if err == nil || res.Failure != ecsdeploy.FailureStopped || !strings.Contains(res.Reason, "stopped by StopServiceDeployment") {
		t.Fatalf("want a stopped failure with its reason, got %v (%+v)\n%s", err, res, r.out)
	}
	if res.Outcome != api.RolledBack || r.server.Calls("UpdateService") != 2 || r.server.ServiceTaskDefinition("demo", "demo-app") != r.previous {
		t.Fatalf("the deploy must restore the previous revision itself: %+v, %d updates", res, r.server.Calls("UpdateService"))
	}
}

func TestStrategyDeployTimesOut(t *testing.T) {
	r := strategyRig(t)
	r.server.QueueDeployment(scenario.DeploymentScript{{After: 0, Status: "IN_PROGRESS", Stage: "BAKE_TIME", Running: 2, Production: scenario.Weight(100)}})
	req := r.request()
	req.Strategy = &ecsdeploy.Strategy{Kind: types.DeploymentStrategyBlueGreen, TargetGroup: blueTG, AlternateTargetGroup: greenTG, ProductionListenerRule: prodRule, RoleARN: ecsRole}
	req.Timeout = 30 * time.Second
	res, err := r.deployer.Deploy(context.Background(), req)
	if err == nil || res.Failure != ecsdeploy.FailureTimeout || !strings.Contains(res.Reason, "BAKE_TIME") {
		t.Fatalf("want a timeout naming the last stage, got %v (%+v)", err, res)
	}
	// The wait polls at most every 2.5 s: 30 s of waiting is at least 12 reads.
	if res.Polls < 12 {
		t.Fatalf("%d polls in 30 s: the poll cap is 2.5 s", res.Polls)
	}
}

func TestStrategyNeedingTheServicesTargetGroupChangesNothing(t *testing.T) {
	r := newRig(t) // the service has no load balancer
	req := r.request()
	req.Strategy = linear()
	_, err := r.deployer.Deploy(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "needs the service's load balancer on target group "+blueTG) {
		t.Fatalf("want a clear refusal, got %v", err)
	}
	if n := r.server.Calls("RegisterTaskDefinition") + r.server.Calls("UpdateService"); n != 0 {
		t.Fatalf("a refused strategy must change nothing, %d mutating calls", n)
	}
	req.Strategy = &ecsdeploy.Strategy{Kind: types.DeploymentStrategyCanary}
	if _, err := r.deployer.Deploy(context.Background(), req); err == nil || !strings.Contains(err.Error(), "needs the target group, the alternate target group") {
		t.Fatalf("want the missing load balancer settings named, got %v", err)
	}
}

func TestStrategySummaryForTheReport(t *testing.T) {
	r := strategyRig(t)
	r.server.QueueDeployment(linearSteps())
	req := r.request()
	req.Strategy = linear()
	req.Timeout = 10 * time.Minute
	res, err := r.deployer.Deploy(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := "LINEAR: PRE_SCALE_UP, SCALE_UP, TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT 25% → 50% → 75% → 100%, BAKE_TIME, CLEAN_UP, SUCCESSFUL"
	if got := res.Rollout().Strategy; got != want {
		t.Fatalf("summary\n got %s\nwant %s", got, want)
	}
}

func TestStrategySummaryOfARollback(t *testing.T) {
	r := strategyRig(t)
	r.server.QueueDeployment(scenario.DeploymentScript{
		{After: 0, Status: "IN_PROGRESS", Stage: "SCALE_UP", Running: 1},
		{After: 3 * time.Second, Status: "IN_PROGRESS", Stage: "PRODUCTION_TRAFFIC_SHIFT", Running: 2, Production: scenario.Weight(10)},
		{After: 20 * time.Second, Status: "ROLLBACK_IN_PROGRESS", Stage: "PRODUCTION_TRAFFIC_SHIFT", Running: 2, Production: scenario.Weight(0), Triggered: []string{"a"}},
		{After: 25 * time.Second, Status: "ROLLBACK_SUCCESSFUL", Stage: "PRODUCTION_TRAFFIC_SHIFT", Production: scenario.Weight(0), Triggered: []string{"a"}},
	})
	req := r.request()
	req.Strategy = &ecsdeploy.Strategy{Kind: types.DeploymentStrategyCanary, StepPercent: 10, Alarms: []string{"a"},
		TargetGroup: blueTG, AlternateTargetGroup: greenTG, ProductionListenerRule: prodRule, RoleARN: ecsRole}
	res, _ := r.deployer.Deploy(context.Background(), req)
	want := "CANARY: SCALE_UP, PRODUCTION_TRAFFIC_SHIFT 10%, ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL"
	if got := res.Rollout().Strategy; got != want {
		t.Fatalf("summary\n got %s\nwant %s", got, want)
	}
}

// A rolling update that watches alarms is followed through its service deployment, so an alarm's
// rollback is ECS's rollback with the alarm named, not a bare FAILED rollout.
func TestRollingAlarmRollbackIsFollowedAsECSRollback(t *testing.T) {
	r := strategyRig(t)
	r.server.QueueDeployment(scenario.DeploymentScript{
		{After: 0, Status: "IN_PROGRESS", Stage: "SCALE_UP", Running: 1},
		{After: 5 * time.Second, Status: "IN_PROGRESS", Stage: "BAKE_TIME", Running: 2},
		{After: 15 * time.Second, Status: "ROLLBACK_SUCCESSFUL", Stage: "CLEAN_UP",
			Triggered: []string{"demo-app-5xx"}, Reason: "CloudWatch alarm demo-app-5xx is in ALARM", RollbackReason: "alarm demo-app-5xx in ALARM"},
	})
	req := r.request()
	req.Strategy = &ecsdeploy.Strategy{Kind: types.DeploymentStrategyRolling, Alarms: []string{"demo-app-5xx"}}
	res, err := r.deployer.Deploy(context.Background(), req)
	var failed *api.FailedError
	if !errors.As(err, &failed) || !failed.RolledBack() {
		t.Fatalf("want a rolled-back failure, got %v (%+v)\n%s", err, res, r.out)
	}
	if res.Failure != ecsdeploy.FailureECSRollback || res.RunningTaskDefinition != r.previous || res.ServiceDeployment == "" {
		t.Fatalf("result %+v\n%s", res, r.out)
	}
	if !strings.Contains(res.Reason, "alarms in ALARM: demo-app-5xx") {
		t.Fatalf("the reason must name the alarm: %s", res.Reason)
	}
	if n := r.server.Calls("UpdateService"); n != 1 {
		t.Fatalf("ECS rolled back itself: want no second UpdateService, got %d calls", n)
	}
}
