package environment

import (
	"strings"
	"testing"
)

const (
	tgBlue  = "arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:targetgroup/demo-blue/0123456789abcdef"
	tgGreen = "arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:targetgroup/demo-green/fedcba9876543210"
	rule    = "arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:listener-rule/app/demo/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"
	role    = "arn:aws:iam::123456789012:role/demo-app-ecs-infrastructure"
)

func TestECSDeploymentLoadsEveryStrategy(t *testing.T) {
	for _, body := range []string{
		"",
		"  deployment: {strategy: ROLLING, bake_time_minutes: 2, alarms: [demo-5xx]}\n",
		"  deployment:\n    strategy: BLUE_GREEN\n    bake_time_minutes: 5\n    alarms: [demo-5xx]\n    load_balancer: {target_group: " + tgBlue + ", alternate_target_group: " + tgGreen + ", production_listener_rule: " + rule + ", role_arn: " + role + "}\n" +
			"    hooks:\n      - {stages: [PRE_SCALE_UP, POST_TEST_TRAFFIC_SHIFT], lambda: 'arn:aws:lambda:ap-southeast-2:123456789012:function:smoke', role_arn: " + role + "}\n",
		"  deployment:\n    strategy: LINEAR\n    step_percent: 25\n    step_interval_minutes: 1\n    load_balancer: {target_group: " + tgBlue + ", alternate_target_group: " + tgGreen + ", production_listener_rule: " + rule + ", role_arn: " + role + "}\n",
		"  deployment:\n    strategy: CANARY\n    step_percent: 0.5\n    step_interval_minutes: 0\n    load_balancer: {target_group: " + tgBlue + ", alternate_target_group: " + tgGreen + ", production_listener_rule: " + rule + ", role_arn: " + role + "}\n",
	} {
		root := t.TempDir()
		writeEnv(t, root, "staging", strings.Replace(good, "ecs: {cluster: demo, service: demo-app}\n", "ecs:\n  cluster: demo\n  service: demo-app\n"+body, 1), true)
		env, err := Load(root, "staging")
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if body == "" && (env.ECS.Deployment.EffectiveStrategy() != StrategyRolling || env.ECS.Deployment.ShiftsTraffic()) {
			t.Fatalf("default strategy: %+v", env.ECS.Deployment)
		}
		if strings.Contains(body, "LINEAR") && (env.ECS.Deployment.StepPercent != 25 || *env.ECS.Deployment.StepIntervalMinutes != 1) {
			t.Fatalf("linear settings not parsed: %+v", env.ECS.Deployment)
		}
	}
}

func TestECSDeploymentRefusesBadSettingsClearly(t *testing.T) {
	lb := ECSLoadBalancer{TargetGroup: tgBlue, AlternateTargetGroup: tgGreen, ProductionListenerRule: rule, RoleARN: role}
	two, big := 2, 2000
	for name, tc := range map[string]struct {
		d    ECSDeployment
		want []string
	}{
		"unknown strategy": {ECSDeployment{Strategy: "blue-green"}, []string{`strategy "blue-green" is not one of ROLLING, BLUE_GREEN, LINEAR, CANARY`}},
		"linear step too small": {ECSDeployment{Strategy: StrategyLinear, StepPercent: 2, LoadBalancer: lb},
			[]string{"step_percent 2 must be a multiple of 0.1 from 3 to 100 for LINEAR"}},
		"canary step not tenths": {ECSDeployment{Strategy: StrategyCanary, StepPercent: 0.05, LoadBalancer: lb},
			[]string{"step_percent 0.05 must be a multiple of 0.1 from 0.1 to 100 for CANARY"}},
		"step on blue/green": {ECSDeployment{Strategy: StrategyBlueGreen, StepPercent: 10, StepIntervalMinutes: &two, LoadBalancer: lb},
			[]string{"step_percent and step_interval_minutes apply only to LINEAR and CANARY, not BLUE_GREEN"}},
		"bake too long": {ECSDeployment{Strategy: StrategyBlueGreen, BakeTimeMinutes: &big, LoadBalancer: lb},
			[]string{"bake_time_minutes 2000 must be between 0 and 1440 minutes"}},
		"blue/green without load balancer": {ECSDeployment{Strategy: StrategyBlueGreen},
			[]string{"load_balancer.target_group is required for BLUE_GREEN", "load_balancer.alternate_target_group is required",
				"load_balancer.production_listener_rule is required", "load_balancer.role_arn is required"}},
		"same target groups": {ECSDeployment{Strategy: StrategyLinear, LoadBalancer: ECSLoadBalancer{TargetGroup: tgBlue, AlternateTargetGroup: tgBlue, ProductionListenerRule: rule, RoleARN: role}},
			[]string{"alternate_target_group must differ from target_group"}},
		"rule is a target group": {ECSDeployment{Strategy: StrategyCanary, LoadBalancer: ECSLoadBalancer{TargetGroup: tgBlue, AlternateTargetGroup: tgGreen, ProductionListenerRule: tgGreen, RoleARN: role}},
			[]string{"load_balancer.production_listener_rule \"" + tgGreen + "\" is not a listener rule ARN"}},
		"load balancer on rolling": {ECSDeployment{LoadBalancer: lb}, []string{"load_balancer applies only to BLUE_GREEN, LINEAR and CANARY"}},
		"bad hook": {ECSDeployment{Strategy: StrategyBlueGreen, LoadBalancer: lb, Hooks: []ECSHook{{Stages: []string{"BAKE_TIME"}, Lambda: "smoke"}}},
			[]string{`hooks[0].stages: "BAKE_TIME" is not one of`, `hooks[0].lambda "smoke" is not a Lambda function ARN`, `hooks[0].role_arn "" is not an IAM role ARN`}},
	} {
		var msgs []string
		for _, e := range tc.d.validate() {
			msgs = append(msgs, e.Error())
		}
		all := strings.Join(msgs, "\n")
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s: want %q in:\n%s", name, w, all)
			}
		}
		if !strings.HasPrefix(all, "ecs.deployment.") {
			t.Errorf("%s: errors must name the field: %s", name, all)
		}
	}
}
