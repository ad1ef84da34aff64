package environment

import (
	"fmt"
	"math"
	"regexp"
	"strings"
)

// ECS deployment strategies (ECS's deploymentConfiguration.strategy).
const (
	StrategyRolling   = "ROLLING"
	StrategyBlueGreen = "BLUE_GREEN"
	StrategyLinear    = "LINEAR"
	StrategyCanary    = "CANARY"
)

// Strategies lists the strategies delivery.yaml accepts.
var Strategies = []string{StrategyRolling, StrategyBlueGreen, StrategyLinear, StrategyCanary}

// HookStages are the lifecycle stages a deployment hook may run at (ECS's DeploymentLifecycleHookStage).
var HookStages = []string{"RECONCILE_SERVICE", "PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
	"PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"}

// ECSDeployment is how ECS deploys a new revision of the service (ecs.deployment in delivery.yaml).
// The same values go to the ecs-service Terraform module (the service's deployment_configuration); the
// deploy also passes them in UpdateService, so a deploy always runs the strategy its environment declares.
//
//	ecs:
//	  deployment:
//	    strategy: LINEAR            # ROLLING (default), BLUE_GREEN, LINEAR or CANARY
//	    step_percent: 25            # LINEAR: traffic per step (3-100); CANARY: the canary's share (0.1-100)
//	    step_interval_minutes: 2    # LINEAR: wait between steps; CANARY: how long the canary bakes
//	    bake_time_minutes: 5        # both revisions run this long after all traffic moved
//	    alarms: [demo-app-5xx]      # CloudWatch alarms; one in ALARM rolls the deployment back
//	    load_balancer:              # BLUE_GREEN, LINEAR, CANARY: the ALB resources ECS shifts traffic with
//	      target_group: arn:aws:elasticloadbalancing:...:targetgroup/demo-blue/...
//	      alternate_target_group: arn:aws:elasticloadbalancing:...:targetgroup/demo-green/...
//	      production_listener_rule: arn:aws:elasticloadbalancing:...:listener-rule/app/...
//	      test_listener_rule: arn:aws:elasticloadbalancing:...:listener-rule/app/...   # optional
//	      role_arn: arn:aws:iam::123456789012:role/demo-app-ecs-infrastructure
//	    hooks:                      # optional Lambda functions run at lifecycle stages
//	      - stages: [POST_TEST_TRAFFIC_SHIFT]
//	        lambda: arn:aws:lambda:ap-southeast-2:123456789012:function:demo-app-smoke
//	        role_arn: arn:aws:iam::123456789012:role/demo-app-ecs-hooks
type ECSDeployment struct {
	// Strategy is ROLLING (the default when empty), BLUE_GREEN, LINEAR or CANARY.
	Strategy string `json:"strategy,omitempty"`
	// StepPercent is the production traffic moved per step (LINEAR) or to the canary (CANARY).
	StepPercent float64 `json:"step_percent,omitempty"`
	// StepIntervalMinutes is the wait between steps (LINEAR) or the canary's bake time (CANARY).
	StepIntervalMinutes *int `json:"step_interval_minutes,omitempty"`
	// BakeTimeMinutes is how long both revisions run after all production traffic moved, before the
	// old one is scaled down; alarms still roll back during it.
	BakeTimeMinutes *int `json:"bake_time_minutes,omitempty"`
	// Alarms are CloudWatch alarm names; any of them in ALARM during the deployment rolls it back.
	Alarms []string `json:"alarms,omitempty"`
	// LoadBalancer names the ALB resources the non-rolling strategies shift traffic with.
	LoadBalancer ECSLoadBalancer `json:"load_balancer,omitempty"`
	// Hooks are Lambda functions ECS runs at lifecycle stages.
	Hooks []ECSHook `json:"hooks,omitempty"`
}

// ECSLoadBalancer is the ALB side of a blue/green, linear or canary deployment.
type ECSLoadBalancer struct {
	// TargetGroup is the service's load balancer target group (the one the ecs-service module declares).
	TargetGroup string `json:"target_group,omitempty"`
	// AlternateTargetGroup receives the new revision's tasks while traffic shifts.
	AlternateTargetGroup string `json:"alternate_target_group,omitempty"`
	// ProductionListenerRule is the listener rule whose forward weights ECS shifts.
	ProductionListenerRule string `json:"production_listener_rule,omitempty"`
	// TestListenerRule (optional) routes test traffic to the new revision before production moves.
	TestListenerRule string `json:"test_listener_rule,omitempty"`
	// RoleARN is the infrastructure role ECS assumes to modify the listener rules.
	RoleARN string `json:"role_arn,omitempty"`
}

// ECSHook is one lifecycle hook: a Lambda function ECS invokes at the given stages.
type ECSHook struct {
	Stages  []string `json:"stages"`
	Lambda  string   `json:"lambda"`
	RoleARN string   `json:"role_arn"`
}

// EffectiveStrategy is the strategy with the default applied.
func (d ECSDeployment) EffectiveStrategy() string {
	if d.Strategy == "" {
		return StrategyRolling
	}
	return d.Strategy
}

// ShiftsTraffic reports whether the strategy moves ALB traffic between two target groups.
func (d ECSDeployment) ShiftsTraffic() bool {
	s := d.EffectiveStrategy()
	return s == StrategyBlueGreen || s == StrategyLinear || s == StrategyCanary
}

var (
	targetGroupARNRE  = regexp.MustCompile(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/[A-Za-z0-9-]+/[0-9a-f]+$`)
	listenerRuleARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener-rule/(app|net)/[A-Za-z0-9-]+/[0-9a-f]+/[0-9a-f]+/[0-9a-f]+$`)
	roleARNRE         = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`)
	lambdaARNRE       = regexp.MustCompile(`^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$`)
	alarmNameRE       = regexp.MustCompile(`^[^\x00-\x1f]{1,255}$`)
)

// validate reports every problem of ecs.deployment, naming the field and the accepted values.
func (d ECSDeployment) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("ecs.deployment."+format, args...)) }
	strategy := d.EffectiveStrategy()
	known := false
	for _, s := range Strategies {
		known = known || s == strategy
	}
	if !known {
		bad("strategy %q is not one of %s", d.Strategy, strings.Join(Strategies, ", "))
		return errs
	}
	minutes := func(field string, v *int) {
		if v != nil && (*v < 0 || *v > 1440) {
			bad("%s %d must be between 0 and 1440 minutes", field, *v)
		}
	}
	minutes("step_interval_minutes", d.StepIntervalMinutes)
	minutes("bake_time_minutes", d.BakeTimeMinutes)
	tenths := math.Abs(d.StepPercent*10-math.Round(d.StepPercent*10)) < 1e-6
	switch strategy {
	case StrategyLinear:
		if d.StepPercent != 0 && (d.StepPercent < 3 || d.StepPercent > 100 || !tenths) {
			bad("step_percent %v must be a multiple of 0.1 from 3 to 100 for LINEAR", d.StepPercent)
		}
	case StrategyCanary:
		if d.StepPercent != 0 && (d.StepPercent < 0.1 || d.StepPercent > 100 || !tenths) {
			bad("step_percent %v must be a multiple of 0.1 from 0.1 to 100 for CANARY (the canary's share of traffic)", d.StepPercent)
		}
	default:
		if d.StepPercent != 0 || d.StepIntervalMinutes != nil {
			bad("step_percent and step_interval_minutes apply only to LINEAR and CANARY, not %s", strategy)
		}
	}
	for i, a := range d.Alarms {
		if !alarmNameRE.MatchString(a) {
			bad("alarms[%d] %q is not a CloudWatch alarm name (1-255 printable characters)", i, a)
		}
	}
	lb := d.LoadBalancer
	if d.ShiftsTraffic() {
		need := func(field, v string, re *regexp.Regexp, what string) {
			switch {
			case v == "":
				bad("load_balancer.%s is required for %s (%s)", field, strategy, what)
			case !re.MatchString(v):
				bad("load_balancer.%s %q is not %s", field, v, what)
			}
		}
		need("target_group", lb.TargetGroup, targetGroupARNRE, "a target group ARN")
		need("alternate_target_group", lb.AlternateTargetGroup, targetGroupARNRE, "a target group ARN")
		need("production_listener_rule", lb.ProductionListenerRule, listenerRuleARNRE, "a listener rule ARN")
		need("role_arn", lb.RoleARN, roleARNRE, "an IAM role ARN")
		if lb.TestListenerRule != "" && !listenerRuleARNRE.MatchString(lb.TestListenerRule) {
			bad("load_balancer.test_listener_rule %q is not a listener rule ARN", lb.TestListenerRule)
		}
		if lb.TargetGroup != "" && lb.TargetGroup == lb.AlternateTargetGroup {
			bad("load_balancer.alternate_target_group must differ from target_group")
		}
		if lb.TestListenerRule != "" && lb.TestListenerRule == lb.ProductionListenerRule {
			bad("load_balancer.test_listener_rule must differ from production_listener_rule")
		}
	} else if lb != (ECSLoadBalancer{}) {
		bad("load_balancer applies only to BLUE_GREEN, LINEAR and CANARY (the rolling strategy keeps one target group)")
	}
	for i, h := range d.Hooks {
		if !d.ShiftsTraffic() {
			bad("hooks[%d]: lifecycle hooks apply only to BLUE_GREEN, LINEAR and CANARY", i)
			break
		}
		if len(h.Stages) == 0 {
			bad("hooks[%d].stages is empty (one or more of %s)", i, strings.Join(HookStages, ", "))
		}
		for _, s := range h.Stages {
			ok := false
			for _, k := range HookStages {
				ok = ok || k == s
			}
			if !ok {
				bad("hooks[%d].stages: %q is not one of %s", i, s, strings.Join(HookStages, ", "))
			}
		}
		if !lambdaARNRE.MatchString(h.Lambda) {
			bad("hooks[%d].lambda %q is not a Lambda function ARN", i, h.Lambda)
		}
		if !roleARNRE.MatchString(h.RoleARN) {
			bad("hooks[%d].role_arn %q is not an IAM role ARN (ECS assumes it to invoke the function)", i, h.RoleARN)
		}
	}
	return errs
}
