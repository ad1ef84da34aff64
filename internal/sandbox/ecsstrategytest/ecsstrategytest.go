// Package ecsstrategytest builds what an ECS deployment-strategy test needs on an AWS twin (the
// shared sandbox or a private one): a VPC, an ALB with a blue and a green target group, a production
// and a test listener rule forwarding to both with weights, a CloudWatch alarm, and an ECS service
// behind the blue group; and it deploys with a strategy, optionally firing the alarm mid-shift.
package ecsstrategytest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
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

	"github.com/platformteam/delivery/internal/sandbox/awsfront"
	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/ecsdeploy"
	"github.com/platformteam/delivery/pkg/release/api"
)

// Tasks is the service's desired count (moto reports MOTO_ECS_SERVICE_RUNNING tasks; both twins run 2).
const Tasks = 2

// The images deployed: the strategy tests read traffic and revisions, not tasks.
var (
	OldImage = mustPin("127.0.0.1:5000/demo-app@sha256:1111111111111111111111111111111111111111111111111111111111111111")
	NewImage = mustPin("127.0.0.1:5000/demo-app@sha256:2222222222222222222222222222222222222222222222222222222222222222")
)

// Strategies are the four ECS deployment strategies.
var Strategies = []types.DeploymentStrategy{types.DeploymentStrategyRolling, types.DeploymentStrategyBlueGreen, types.DeploymentStrategyLinear, types.DeploymentStrategyCanary}

func mustPin(ref string) artifact.Pinned {
	p, err := artifact.ParsePinned(ref)
	if err != nil {
		panic(err)
	}
	return p
}

func uniqueName(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// Stack is one service behind an ALB rule forwarding to two target groups, and its alarm.
type Stack struct {
	ECS *ecs.Client
	ELB *elbv2.Client
	CW  *cloudwatch.Client
	// Cluster runs the service demo-app; First is its task definition before any deploy.
	Cluster, First string
	// Blue serves production before the first deploy; Green is the alternate target group.
	Blue, Green string
	// ProdRule and TestRule forward to both groups with weights.
	ProdRule, TestRule string
	// Alarm rolls deployments back; Role stands for ECS's infrastructure role.
	Alarm, Role string
	// Polling is the deploy's poll schedule (zero: the deploy's own, at most 2.5 s apart).
	Polling ecsdeploy.Polling
}

func NewStack(t testing.TB, cfg aws.Config, account string) *Stack {
	t.Helper()
	ctx := context.Background()
	st := &Stack{ECS: ecs.NewFromConfig(cfg), ELB: elbv2.NewFromConfig(cfg), CW: cloudwatch.NewFromConfig(cfg, awsfront.CloudWatchQueryProtocol)}
	id := strings.TrimPrefix(uniqueName("s"), "s-")
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
	lb, err := st.ELB.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("alb-" + id), Subnets: subnets, Type: elbtypes.LoadBalancerTypeEnumApplication})
	if err != nil {
		t.Fatalf("create load balancer: %v", err)
	}
	tg := func(color string) string {
		out, err := st.ELB.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String(color + "-" + id), Protocol: elbtypes.ProtocolEnumHttp,
			Port: aws.Int32(8080), VpcId: vpc.Vpc.VpcId, TargetType: elbtypes.TargetTypeEnumIp})
		if err != nil {
			t.Fatalf("create target group: %v", err)
		}
		return aws.ToString(out.TargetGroups[0].TargetGroupArn)
	}
	st.Blue, st.Green = tg("blue"), tg("green")
	listener, err := st.ELB.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn,
		Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(st.Blue)}}})
	if err != nil {
		t.Fatalf("create listener: %v", err)
	}
	rule := func(priority int32, path string) string {
		out, err := st.ELB.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: listener.Listeners[0].ListenerArn, Priority: aws.Int32(priority),
			Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{path}}},
			Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
				{TargetGroupArn: aws.String(st.Blue), Weight: aws.Int32(100)}, {TargetGroupArn: aws.String(st.Green), Weight: aws.Int32(0)}}}}}})
		if err != nil {
			t.Fatalf("create listener rule: %v", err)
		}
		return aws.ToString(out.Rules[0].RuleArn)
	}
	st.ProdRule, st.TestRule = rule(10, "/*"), rule(5, "/test/*")
	st.Alarm = "ecs-" + id + "-5xx"
	if _, err := st.CW.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(st.Alarm), Namespace: aws.String("AWS/ApplicationELB"),
		MetricName: aws.String("HTTPCode_Target_5XX_Count"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold}); err != nil {
		t.Fatalf("put alarm: %v", err)
	}
	if _, err := st.CW.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(st.Alarm), StateValue: cwtypes.StateValueOk, StateReason: aws.String("quiet")}); err != nil {
		t.Fatalf("set alarm OK: %v", err)
	}
	st.Role = "arn:aws:iam::" + account + ":role/ecs-infrastructure"
	st.Cluster = "strat-" + id
	if _, err := st.ECS.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(st.Cluster)}); err != nil {
		t.Fatal(err)
	}
	td, err := st.ECS.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String(st.Cluster + "-app"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(OldImage.String()), Essential: aws.Bool(true), Memory: aws.Int32(256),
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	st.First = aws.ToString(td.TaskDefinition.TaskDefinitionArn)
	if _, err := st.ECS.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(st.Cluster), ServiceName: aws.String("demo-app"),
		TaskDefinition: aws.String(st.First), DesiredCount: aws.Int32(Tasks), LaunchType: types.LaunchTypeEc2,
		LoadBalancers: []types.LoadBalancer{{TargetGroupArn: aws.String(st.Blue), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}}}); err != nil {
		t.Fatalf("create service: %v", err)
	}
	return st
}

func (st *Stack) Strategy(kind types.DeploymentStrategy) *ecsdeploy.Strategy {
	s := &ecsdeploy.Strategy{Kind: kind, Alarms: []string{st.Alarm}, BakeTimeMinutes: aws.Int32(2)}
	switch kind {
	case types.DeploymentStrategyLinear:
		s.StepPercent, s.StepIntervalMinutes = 50, aws.Int32(2)
	case types.DeploymentStrategyCanary:
		s.StepPercent, s.StepIntervalMinutes = 10, aws.Int32(2)
	}
	if s.ShiftsTraffic() {
		s.TargetGroup, s.AlternateTargetGroup, s.ProductionListenerRule, s.TestListenerRule, s.RoleARN = st.Blue, st.Green, st.ProdRule, st.TestRule, st.Role
		s.Hooks = []ecsdeploy.Hook{{Stages: []string{"POST_TEST_TRAFFIC_SHIFT"}, Lambda: "arn:aws:lambda:ap-southeast-2:123456789012:function:smoke", RoleARN: st.Role}}
	}
	return s
}

// weights reads a rule's forward weights from moto's ELBv2 (DescribeRules), as blue/green.
func (st *Stack) Weights(t testing.TB, rule string) (blue, green int32) {
	t.Helper()
	out, err := st.ELB.DescribeRules(context.Background(), &elbv2.DescribeRulesInput{RuleArns: []string{rule}})
	if err != nil || len(out.Rules) != 1 {
		t.Fatalf("describe rule %s: %v", rule, err)
	}
	for _, a := range out.Rules[0].Actions {
		if a.ForwardConfig == nil {
			continue
		}
		for _, tg := range a.ForwardConfig.TargetGroups {
			switch aws.ToString(tg.TargetGroupArn) {
			case st.Blue:
				blue = aws.ToInt32(tg.Weight)
			case st.Green:
				green = aws.ToInt32(tg.Weight)
			}
		}
	}
	return blue, green
}

func (st *Stack) ServiceTD(t testing.TB) string {
	t.Helper()
	out, err := st.ECS.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(st.Cluster), Services: []string{"demo-app"}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describe service: %v", err)
	}
	return aws.ToString(out.Services[0].TaskDefinition)
}

// midShift reports whether the newest service deployment is where the bad case fires its alarm: a
// partial production traffic step (LINEAR, CANARY), the bake after the shift (BLUE_GREEN), the bake
// after the tasks were replaced (ROLLING).
func (st *Stack) MidShift(ctx context.Context, kind types.DeploymentStrategy) bool {
	list, err := st.ECS.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String(st.Cluster), Service: aws.String("demo-app")})
	if err != nil || len(list.ServiceDeployments) == 0 {
		return false
	}
	sort.Slice(list.ServiceDeployments, func(i, j int) bool {
		return aws.ToTime(list.ServiceDeployments[i].CreatedAt).After(aws.ToTime(list.ServiceDeployments[j].CreatedAt))
	})
	out, err := st.ECS.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{aws.ToString(list.ServiceDeployments[0].ServiceDeploymentArn)}})
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

type Run struct {
	Res api.ECSResult
	Err error
	Out string
	// AlarmToEnd is the time from SetAlarmState ALARM to the deploy returning (when the alarm fired).
	AlarmToEnd time.Duration
}

// deploy deploys a new image with the strategy; when fire is set it sets the alarm to ALARM on moto
// (CloudWatch SetAlarmState) once the deployment is mid-shift, and measures from then to the deploy's
// return with its verdict.
func (st *Stack) Deploy(t testing.TB, kind types.DeploymentStrategy, fire bool) Run {
	t.Helper()
	var out strings.Builder
	var mu sync.Mutex
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) })
	d := &ecsdeploy.Deployer{API: st.ECS, Out: w, Polling: st.Polling}
	req := ecsdeploy.Request{Cluster: st.Cluster, Service: "demo-app", Image: NewImage, Timeout: 2 * time.Minute, Strategy: st.Strategy(kind)}
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
			if st.MidShift(ctx, kind) {
				if _, err := st.CW.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(st.Alarm), StateValue: cwtypes.StateValueAlarm,
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
	run := Run{Res: r.res, Err: r.err, Out: out.String()}
	if fire {
		run.AlarmToEnd = r.at.Sub(fired)
	}
	return run
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
