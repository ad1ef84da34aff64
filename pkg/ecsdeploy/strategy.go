package ecsdeploy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Strategy is how ECS deploys the new revision (delivery.yaml ecs.deployment). The deploy passes it in
// UpdateService on top of the service's live deployment configuration, so the other settings the
// service's stack made (circuit breaker, minimum/maximum percent) are kept.
type Strategy struct {
	// Kind is ROLLING, BLUE_GREEN, LINEAR or CANARY.
	Kind types.DeploymentStrategy
	// StepPercent is the traffic per LINEAR step, or the CANARY share (0: ECS's default).
	StepPercent float64
	// StepIntervalMinutes is the wait between LINEAR steps or the CANARY bake (nil: ECS's default).
	StepIntervalMinutes *int32
	// BakeTimeMinutes is how long both revisions run once all traffic moved (nil: ECS's default).
	BakeTimeMinutes *int32
	// Alarms roll the deployment back when one is in ALARM.
	Alarms []string
	// The ALB resources the non-rolling strategies shift traffic with.
	TargetGroup, AlternateTargetGroup, ProductionListenerRule, TestListenerRule, RoleARN string
	Hooks                                                                                []Hook
}

// Hook is a Lambda function ECS runs at lifecycle stages.
type Hook struct {
	Stages  []string
	Lambda  string
	RoleARN string
}

// ShiftsTraffic reports whether ECS moves ALB traffic between two target groups (every strategy but ROLLING).
func (s Strategy) ShiftsTraffic() bool {
	return s.Kind == types.DeploymentStrategyBlueGreen || s.Kind == types.DeploymentStrategyLinear || s.Kind == types.DeploymentStrategyCanary
}

// String describes the strategy in one line, as the deploy prints it.
func (s Strategy) String() string {
	var parts []string
	minutes := func(v *int32) string {
		if v == nil {
			return "ECS's default"
		}
		return fmt.Sprintf("%dm", *v)
	}
	switch s.Kind {
	case types.DeploymentStrategyLinear:
		parts = append(parts, fmt.Sprintf("%s%% of production traffic every %s", percent(s.StepPercent), minutes(s.StepIntervalMinutes)))
	case types.DeploymentStrategyCanary:
		parts = append(parts, fmt.Sprintf("canary %s%% for %s, then the rest", percent(s.StepPercent), minutes(s.StepIntervalMinutes)))
	}
	if s.BakeTimeMinutes != nil || s.ShiftsTraffic() {
		parts = append(parts, "bake "+minutes(s.BakeTimeMinutes))
	}
	if len(s.Alarms) > 0 {
		parts = append(parts, "rollback on alarms "+strings.Join(s.Alarms, ", "))
	}
	for _, h := range s.Hooks {
		parts = append(parts, fmt.Sprintf("hook %s at %s", h.Lambda, strings.Join(h.Stages, ",")))
	}
	if len(parts) == 0 {
		return string(s.Kind)
	}
	return string(s.Kind) + " (" + strings.Join(parts, "; ") + ")"
}

func percent(p float64) string {
	if p == 0 {
		return "ECS's default "
	}
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", p), "0"), ".")
}

// deploymentConfiguration is the live configuration with the strategy's settings on top.
func (s Strategy) deploymentConfiguration(live *types.DeploymentConfiguration) *types.DeploymentConfiguration {
	dc := types.DeploymentConfiguration{}
	if live != nil {
		dc.DeploymentCircuitBreaker = live.DeploymentCircuitBreaker
		dc.MaximumPercent = live.MaximumPercent
		dc.MinimumHealthyPercent = live.MinimumHealthyPercent
		dc.EarlySuccessCriteria = live.EarlySuccessCriteria
	}
	dc.Strategy = s.Kind
	dc.BakeTimeInMinutes = s.BakeTimeMinutes
	switch s.Kind {
	case types.DeploymentStrategyLinear:
		dc.LinearConfiguration = &types.LinearConfiguration{StepBakeTimeInMinutes: s.StepIntervalMinutes}
		if s.StepPercent > 0 {
			dc.LinearConfiguration.StepPercent = aws.Float64(s.StepPercent)
		}
	case types.DeploymentStrategyCanary:
		dc.CanaryConfiguration = &types.CanaryConfiguration{CanaryBakeTimeInMinutes: s.StepIntervalMinutes}
		if s.StepPercent > 0 {
			dc.CanaryConfiguration.CanaryPercent = aws.Float64(s.StepPercent)
		}
	}
	if len(s.Alarms) > 0 {
		dc.Alarms = &types.DeploymentAlarms{AlarmNames: s.Alarms, Enable: true, Rollback: true}
	}
	for _, h := range s.Hooks {
		hook := types.DeploymentLifecycleHook{HookTargetArn: aws.String(h.Lambda), RoleArn: aws.String(h.RoleARN),
			TargetType: types.DeploymentLifecycleHookTargetTypeAwsLambda}
		for _, st := range h.Stages {
			hook.LifecycleStages = append(hook.LifecycleStages, types.DeploymentLifecycleHookStage(st))
		}
		dc.LifecycleHooks = append(dc.LifecycleHooks, hook)
	}
	return &dc
}

// loadBalancers is the service's load balancers with the blue/green advanced configuration set on the
// one whose target group the strategy names (nil for ROLLING: the service keeps its own).
func (s Strategy) loadBalancers(live []types.LoadBalancer) ([]types.LoadBalancer, error) {
	if !s.ShiftsTraffic() {
		return nil, nil
	}
	out := make([]types.LoadBalancer, 0, len(live))
	found := false
	for _, lb := range live {
		tg := aws.ToString(lb.TargetGroupArn)
		if tg == s.TargetGroup || tg == s.AlternateTargetGroup {
			found = true
			lb.AdvancedConfiguration = &types.AdvancedConfiguration{
				AlternateTargetGroupArn: aws.String(s.AlternateTargetGroup),
				ProductionListenerRule:  aws.String(s.ProductionListenerRule),
				RoleArn:                 aws.String(s.RoleARN),
			}
			if tg == s.AlternateTargetGroup { // ECS swapped the groups in an earlier deployment
				lb.AdvancedConfiguration.AlternateTargetGroupArn = aws.String(s.TargetGroup)
			}
			if s.TestListenerRule != "" {
				lb.AdvancedConfiguration.TestListenerRule = aws.String(s.TestListenerRule)
			}
		}
		out = append(out, lb)
	}
	if !found {
		var have []string
		for _, lb := range live {
			have = append(have, aws.ToString(lb.TargetGroupArn))
		}
		return nil, fmt.Errorf("%s needs the service's load balancer on target group %s (ecs.deployment.load_balancer.target_group), but the service has %s: "+
			"apply the service's stack with the same target groups first", s.Kind, s.TargetGroup, orNone(have))
	}
	return out, nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no load balancer"
	}
	return strings.Join(s, ", ")
}

// validate checks what the deploy needs before it changes anything.
func (s Strategy) validate() error {
	switch s.Kind {
	case types.DeploymentStrategyRolling, types.DeploymentStrategyBlueGreen, types.DeploymentStrategyLinear, types.DeploymentStrategyCanary:
	default:
		return fmt.Errorf("deployment strategy %q is not ROLLING, BLUE_GREEN, LINEAR or CANARY", s.Kind)
	}
	if s.ShiftsTraffic() && (s.TargetGroup == "" || s.AlternateTargetGroup == "" || s.ProductionListenerRule == "" || s.RoleARN == "") {
		return errors.New(string(s.Kind) + " needs the target group, the alternate target group, the production listener rule and the role (ecs.deployment.load_balancer in delivery.yaml)")
	}
	return nil
}
