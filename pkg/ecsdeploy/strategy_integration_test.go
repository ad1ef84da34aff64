//go:build integration

package ecsdeploy_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/platformteam/delivery/internal/sandbox"
	"github.com/platformteam/delivery/internal/sandbox/awsfront"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/pkg/ecsdeploy"
	"github.com/platformteam/delivery/pkg/release/api"
)

// The sandbox's ECS twin plays the deployment strategies (internal/fake/ecs/rollout): the deploy passes
// the strategy, follows the service deployment, and the twin shifts the listener weights on moto's
// ELBv2 and reads the alarm on moto's CloudWatch. Its time is compressed (one ECS minute = 1 s,
// internal/sandbox/twin.SandboxECSTime), so each case takes seconds.

// strategyStack is one service behind an ALB rule forwarding to two target groups, and its alarm.
type strategyStack struct {
	ecs                *ecs.Client
	elb                *elbv2.Client
	cw                 *cloudwatch.Client
	cluster, first     string
	blue, green        string
	prodRule, testRule string
	alarm              string
	role               string
}

func newStrategyStack(t testing.TB, s *sandboxtest.Sandbox) *strategyStack {
	t.Helper()
	ctx := context.Background()
	cfg := s.AWSConfig()
	st := &strategyStack{ecs: ecs.NewFromConfig(cfg), elb: elbv2.NewFromConfig(cfg), cw: cloudwatch.NewFromConfig(cfg, awsfront.CloudWatchQueryProtocol)}
	id := strings.TrimPrefix(sandboxtest.UniqueName("s"), "s-")
	if len(id) > 12 {
		id = id[len(id)-12:]
	}
	e2 := ec2.NewFromConfig(cfg)
	vpc, err := e2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.42.0.0/16")})
	if err != nil {
		t.Fatalf("create VPC: %v", err)
	}
	var subnets []string
	for i, az := range []string{"a", "b"} {
		sn, err := e2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String(fmt.Sprintf("10.42.%d.0/24", i)),
			AvailabilityZone: aws.String(cfg.Region + az)})
		if err != nil {
			t.Fatalf("create subnet: %v", err)
		}
		subnets = append(subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	lb, err := st.elb.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("alb-" + id), Subnets: subnets, Type: elbtypes.LoadBalancerTypeEnumApplication})
	if err != nil {
		t.Fatalf("create load balancer: %v", err)
	}
	tg := func(color string) string {
		out, err := st.elb.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String(color + "-" + id), Protocol: elbtypes.ProtocolEnumHttp,
			Port: aws.Int32(8080), VpcId: vpc.Vpc.VpcId, TargetType: elbtypes.TargetTypeEnumIp})
		if err != nil {
			t.Fatalf("create target group: %v", err)
		}
		return aws.ToString(out.TargetGroups[0].TargetGroupArn)
	}
	st.blue, st.green = tg("blue"), tg("green")
	listener, err := st.elb.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn,
		Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(st.blue)}}})
	if err != nil {
		t.Fatalf("create listener: %v", err)
	}
	rule := func(priority int32, path string) string {
		out, err := st.elb.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: listener.Listeners[0].ListenerArn, Priority: aws.Int32(priority),
			Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{path}}},
			Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
				{TargetGroupArn: aws.String(st.blue), Weight: aws.Int32(100)}, {TargetGroupArn: aws.String(st.green), Weight: aws.Int32(0)}}}}}})
		if err != nil {
			t.Fatalf("create listener rule: %v", err)
		}
		return aws.ToString(out.Rules[0].RuleArn)
	}
	st.prodRule, st.testRule = rule(10, "/*"), rule(5, "/test/*")
	st.alarm = "ecs-" + id + "-5xx"
	if _, err := st.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(st.alarm), Namespace: aws.String("AWS/ApplicationELB"),
		MetricName: aws.String("HTTPCode_Target_5XX_Count"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold}); err != nil {
		t.Fatalf("put alarm: %v", err)
	}
	if _, err := st.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(st.alarm), StateValue: cwtypes.StateValueOk, StateReason: aws.String("quiet")}); err != nil {
		t.Fatalf("set alarm OK: %v", err)
	}
	st.role = "arn:aws:iam::" + s.Vars[sandbox.EnvAccountID] + ":role/ecs-infrastructure"
	st.cluster = "strat-" + id
	if _, err := st.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(st.cluster)}); err != nil {
		t.Fatal(err)
	}
	td, err := st.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String(st.cluster + "-app"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(oldImage), Essential: aws.Bool(true), Memory: aws.Int32(256),
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	st.first = aws.ToString(td.TaskDefinition.TaskDefinitionArn)
	if _, err := st.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(st.cluster), ServiceName: aws.String("demo-app"),
		TaskDefinition: aws.String(st.first), DesiredCount: aws.Int32(int32(sandbox.MotoRunningTasks)), LaunchType: types.LaunchTypeEc2,
		LoadBalancers: []types.LoadBalancer{{TargetGroupArn: aws.String(st.blue), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}}}); err != nil {
		t.Fatalf("create service: %v", err)
	}
	return st
}

func (st *strategyStack) strategy(kind types.DeploymentStrategy) *ecsdeploy.Strategy {
	s := &ecsdeploy.Strategy{Kind: kind, Alarms: []string{st.alarm}, BakeTimeMinutes: aws.Int32(2)}
	switch kind {
	case types.DeploymentStrategyLinear:
		s.StepPercent, s.StepIntervalMinutes = 50, aws.Int32(2)
	case types.DeploymentStrategyCanary:
		s.StepPercent, s.StepIntervalMinutes = 10, aws.Int32(2)
	}
	if s.ShiftsTraffic() {
		s.TargetGroup, s.AlternateTargetGroup, s.ProductionListenerRule, s.TestListenerRule, s.RoleARN = st.blue, st.green, st.prodRule, st.testRule, st.role
		s.Hooks = []ecsdeploy.Hook{{Stages: []string{"POST_TEST_TRAFFIC_SHIFT"}, Lambda: "arn:aws:lambda:ap-southeast-2:123456789012:function:smoke", RoleARN: st.role}}
	}
	return s
}

// weights reads a rule's forward weights from moto's ELBv2 (DescribeRules), as blue/green.
func (st *strategyStack) weights(t testing.TB, rule string) (blue, green int32) {
	t.Helper()
	out, err := st.elb.DescribeRules(context.Background(), &elbv2.DescribeRulesInput{RuleArns: []string{rule}})
	if err != nil || len(out.Rules) != 1 {
		t.Fatalf("describe rule %s: %v", rule, err)
	}
	for _, a := range out.Rules[0].Actions {
		if a.ForwardConfig == nil {
			continue
		}
		for _, tg := range a.ForwardConfig.TargetGroups {
			switch aws.ToString(tg.TargetGroupArn) {
			case st.blue:
				blue = aws.ToInt32(tg.Weight)
			case st.green:
				green = aws.ToInt32(tg.Weight)
			}
		}
	}
	return blue, green
}

func (st *strategyStack) serviceTD(t testing.TB) string {
	t.Helper()
	out, err := st.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(st.cluster), Services: []string{"demo-app"}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describe service: %v", err)
	}
	return aws.ToString(out.Services[0].TaskDefinition)
}

// midShift reports whether the newest service deployment is where the bad case fires its alarm: a
// partial production traffic step (LINEAR, CANARY), the bake after the shift (BLUE_GREEN), the bake
// after the tasks were replaced (ROLLING).
func (st *strategyStack) midShift(ctx context.Context, kind types.DeploymentStrategy) bool {
	list, err := st.ecs.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String(st.cluster), Service: aws.String("demo-app")})
	if err != nil || len(list.ServiceDeployments) == 0 {
		return false
	}
	sort.Slice(list.ServiceDeployments, func(i, j int) bool {
		return aws.ToTime(list.ServiceDeployments[i].CreatedAt).After(aws.ToTime(list.ServiceDeployments[j].CreatedAt))
	})
	out, err := st.ecs.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{aws.ToString(list.ServiceDeployments[0].ServiceDeploymentArn)}})
	if err != nil || len(out.ServiceDeployments) == 0 {
		return false
	}
	sd := out.ServiceDeployments[0]
	if sd.Status != types.ServiceDeploymentStatusInProgress {
		return false
	}
	switch kind {
	case types.DeploymentStrategyLinear, types.DeploymentStrategyCanary:
		w := sd.TargetServiceRevision.RequestedProductionTrafficWeight
		return sd.LifecycleStage == types.ServiceDeploymentLifecycleStageProductionTrafficShift && w != nil && *w > 0 && *w < 100
	default:
		return sd.LifecycleStage == types.ServiceDeploymentLifecycleStageBakeTime
	}
}

type strategyRun struct {
	res        api.ECSResult
	err        error
	out        string
	alarmToEnd time.Duration
}

// deploy deploys a new image with the strategy; when fire is set it sets the alarm to ALARM on moto
// (CloudWatch SetAlarmState) once the deployment is mid-shift, and measures from then to the deploy's
// return with its verdict.
func (st *strategyStack) deploy(t testing.TB, kind types.DeploymentStrategy, fire bool) strategyRun {
	t.Helper()
	var out strings.Builder
	var mu sync.Mutex
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) })
	d := &ecsdeploy.Deployer{API: st.ecs, Out: w}
	req := ecsdeploy.Request{Cluster: st.cluster, Service: "demo-app", Image: pinned(newImage), Timeout: 2 * time.Minute, Strategy: st.strategy(kind)}
	type result struct {
		res api.ECSResult
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		res, err := d.Deploy(context.Background(), req)
		done <- result{res, err, time.Now()}
	}()
	var fired time.Time
	if fire {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for fired.IsZero() {
			select {
			case r := <-done:
				t.Fatalf("the deploy ended before the alarm could fire mid-shift: %v (%+v)\n%s", r.err, r.res, out.String())
			case <-ctx.Done():
				t.Fatalf("the %s deployment never reached its mid-shift point\n%s", kind, out.String())
			case <-time.After(50 * time.Millisecond):
			}
			if st.midShift(ctx, kind) {
				if _, err := st.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(st.alarm), StateValue: cwtypes.StateValueAlarm,
					StateReason: aws.String("test: 5xx burst")}); err != nil {
					t.Fatalf("set alarm: %v", err)
				}
				fired = time.Now()
			}
		}
	}
	r := <-done
	mu.Lock()
	defer mu.Unlock()
	run := strategyRun{res: r.res, err: r.err, out: out.String()}
	if fire {
		run.alarmToEnd = r.at.Sub(fired)
	}
	return run
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

var _ io.Writer = writerFunc(nil)

var allStrategies = []types.DeploymentStrategy{types.DeploymentStrategyRolling, types.DeploymentStrategyBlueGreen, types.DeploymentStrategyLinear, types.DeploymentStrategyCanary}

// For each strategy: a good version deploys to completion with all production traffic on the group
// that did not serve it before; a bad version, whose alarm fires mid-shift, is rolled back by ECS (the
// twin) with the alarm as the reason, the deploy fails with the rolled-back exit code, the service runs
// the previous task definition and production traffic is back where it was.
func TestSandboxStrategiesDeployAndRollBackOnAlarm(t *testing.T) {
	s := sandboxtest.Env(t)
	var table []string
	for _, kind := range allStrategies {
		t.Run(string(kind)+"/good", func(t *testing.T) {
			st := newStrategyStack(t, s)
			run := st.deploy(t, kind, false)
			if run.err != nil || run.res.Outcome != api.Deployed {
				t.Fatalf("deploy: %v (%+v)\n%s", run.err, run.res, run.out)
			}
			if td := st.serviceTD(t); td != run.res.TaskDefinition {
				t.Fatalf("service runs %s, want %s", td, run.res.TaskDefinition)
			}
			if kind == types.DeploymentStrategyRolling {
				if b, g := st.weights(t, st.prodRule); b != 100 || g != 0 {
					t.Fatalf("a rolling deployment does not shift listener weights: blue %d green %d", b, g)
				}
				return
			}
			if b, g := st.weights(t, st.prodRule); b != 0 || g != 100 {
				t.Fatalf("after %s all production traffic goes to the green group: blue %d green %d\n%s", kind, b, g, run.out)
			}
			if b, g := st.weights(t, st.testRule); b != 0 || g != 100 {
				t.Fatalf("test traffic goes to green: blue %d green %d", b, g)
			}
			var steps []string
			stages := map[string]bool{}
			for _, sg := range run.res.Stages {
				stages[sg.Stage] = true
				if sg.Stage == "PRODUCTION_TRAFFIC_SHIFT" && sg.ProductionTrafficPercent != nil {
					steps = append(steps, fmt.Sprint(*sg.ProductionTrafficPercent))
				}
			}
			want := map[types.DeploymentStrategy]string{types.DeploymentStrategyBlueGreen: "100", types.DeploymentStrategyLinear: "50,100", types.DeploymentStrategyCanary: "10,100"}[kind]
			if strings.Join(steps, ",") != want {
				t.Fatalf("production traffic steps %v, want %s\n%s", steps, want, run.out)
			}
			for _, sg := range []string{"SCALE_UP", "PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME"} {
				if !stages[sg] {
					t.Fatalf("the deploy did not report %s\n%s", sg, run.out)
				}
			}
			if !strings.Contains(run.out, "hook arn:aws:lambda:ap-southeast-2:123456789012:function:smoke") {
				t.Fatalf("the hook's Lambda ARN is not reported\n%s", run.out)
			}
		})
		t.Run(string(kind)+"/alarm", func(t *testing.T) {
			st := newStrategyStack(t, s)
			run := st.deploy(t, kind, true)
			var failed *api.FailedError
			if !errors.As(run.err, &failed) || failed.ExitCode() != api.ExitRolledBack || run.res.Outcome != api.RolledBack {
				t.Fatalf("want a failed deploy with the rolled-back exit code, got %v (%+v)\n%s", run.err, run.res, run.out)
			}
			if !strings.Contains(run.res.Reason, st.alarm) {
				t.Fatalf("the reason must name the alarm %s: %s", st.alarm, run.res.Reason)
			}
			wantKind := ecsdeploy.FailureECSRollback
			if kind == types.DeploymentStrategyRolling {
				wantKind = ecsdeploy.FailureCircuitBreaker // the rolling wait reads the FAILED deployment
			}
			if run.res.Failure != wantKind {
				t.Fatalf("failure kind %s, want %s", run.res.Failure, wantKind)
			}
			if td := st.serviceTD(t); td != st.first || run.res.RunningTaskDefinition != st.first {
				t.Fatalf("service runs %s (reported %s), want the previous %s", td, run.res.RunningTaskDefinition, st.first)
			}
			if b, g := st.weights(t, st.prodRule); b != 100 || g != 0 {
				t.Fatalf("after the rollback production traffic is back on blue: blue %d green %d\n%s", b, g, run.out)
			}
			table = append(table, fmt.Sprintf("| %s | %s | %.2f s |", kind, map[bool]string{true: "partial production step", false: "bake time"}[kind == types.DeploymentStrategyLinear || kind == types.DeploymentStrategyCanary], run.alarmToEnd.Seconds()))
		})
	}
	t.Logf("alarm in ALARM → deploy reports the rollback (sandbox, 1 ECS minute = 1 s, twin tick 200 ms, deploy poll ≤ 2.5 s):\n| strategy | alarm fired during | alarm → rollback reported |\n| --- | --- | --- |\n%s", strings.Join(table, "\n"))
}

// BenchmarkSandboxAlarmToRollback measures, per strategy, the time from SetAlarmState ALARM mid-shift to
// the deploy returning its rolled-back verdict, and prints the table recorded in docs/release-engine.md.
func BenchmarkSandboxAlarmToRollback(b *testing.B) {
	s := sandboxtest.Env(b)
	rows := []string{}
	for _, kind := range allStrategies {
		var times []time.Duration
		for i := 0; i < b.N; i++ {
			st := newStrategyStack(b, s)
			run := st.deploy(b, kind, true)
			if run.res.Outcome != api.RolledBack {
				b.Fatalf("%s: not rolled back: %v\n%s", kind, run.err, run.out)
			}
			times = append(times, run.alarmToEnd)
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		rows = append(rows, fmt.Sprintf("| %s | %d | %.2f s | %.2f s | %.2f s |", kind, len(times), times[0].Seconds(), times[len(times)/2].Seconds(), times[len(times)-1].Seconds()))
	}
	b.Logf("\n| strategy | runs | min | median | worst |\n| --- | --- | --- | --- | --- |\n%s", strings.Join(rows, "\n"))
}
