package awsfront

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// CloudWatchQueryProtocol makes a CloudWatch client speak the query protocol: the SDK's default is
// the Smithy RPC v2 CBOR protocol, which moto 5.2.1 answers with 404. Every CloudWatch client of the
// sandbox uses it (AWS serves both protocols).
func CloudWatchQueryProtocol(o *cloudwatch.Options) {
	o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801)
}

// ECS deployment strategies act outside ECS: ECS shifts the forward weights of the service's listener
// rules (as its infrastructure role) and reads the deployment's CloudWatch alarms. StrategyCloud does
// both on moto, as the admin of the account the ECS call acts in, for the rollout simulator
// (internal/fake/ecs/rollout.Cloud). moto's ELBv2 keeps weighted forward actions and reports them in
// DescribeRules; its CloudWatch keeps alarm states set with SetAlarmState.

// StrategyCloud is the front's ELBv2 and CloudWatch for the ECS rollout simulator.
type StrategyCloud struct{ f *Front }

// StrategyCloud returns the front's implementation of the simulator's Cloud.
func (f *Front) StrategyCloud() *StrategyCloud { return &StrategyCloud{f: f} }

func (c *StrategyCloud) config(ctx context.Context) (aws.Config, error) {
	call := CallFrom(ctx)
	if call == nil || call.Account == "" {
		return aws.Config{}, fmt.Errorf("no account in the ECS call's context")
	}
	region := call.Region
	if region == "" {
		region = c.f.cfg.Region
	}
	return c.f.backend.adminConfig(call.Account, region)
}

// RuleWeights returns the forward weights of a listener rule by target group ARN.
func (c *StrategyCloud) RuleWeights(ctx context.Context, ruleARN string) (map[string]int32, error) {
	cfg, err := c.config(ctx)
	if err != nil {
		return nil, err
	}
	out, err := elbv2.NewFromConfig(cfg).DescribeRules(ctx, &elbv2.DescribeRulesInput{RuleArns: []string{ruleARN}})
	if err != nil {
		return nil, fmt.Errorf("describe listener rule %s: %w", ruleARN, err)
	}
	weights := map[string]int32{}
	for _, r := range out.Rules {
		for _, a := range r.Actions {
			if a.Type != elbtypes.ActionTypeEnumForward {
				continue
			}
			if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
				for _, tg := range a.ForwardConfig.TargetGroups {
					weights[aws.ToString(tg.TargetGroupArn)] = aws.ToInt32(tg.Weight)
				}
			} else if a.TargetGroupArn != nil {
				weights[aws.ToString(a.TargetGroupArn)] = 1
			}
		}
	}
	return weights, nil
}

// SetRuleWeights rewrites the rule's forward action with these target groups and weights.
func (c *StrategyCloud) SetRuleWeights(ctx context.Context, ruleARN string, weights map[string]int32) error {
	cfg, err := c.config(ctx)
	if err != nil {
		return err
	}
	arns := make([]string, 0, len(weights))
	for arn := range weights {
		arns = append(arns, arn)
	}
	sort.Strings(arns)
	var tgs []elbtypes.TargetGroupTuple
	for _, arn := range arns {
		tgs = append(tgs, elbtypes.TargetGroupTuple{TargetGroupArn: aws.String(arn), Weight: aws.Int32(weights[arn])})
	}
	_, err = elbv2.NewFromConfig(cfg).ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: aws.String(ruleARN), Actions: []elbtypes.Action{{
		Type: elbtypes.ActionTypeEnumForward, Order: aws.Int32(1), ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: tgs}}}})
	if err != nil {
		return fmt.Errorf("shift the weights of listener rule %s: %w", ruleARN, err)
	}
	return nil
}

// InAlarm returns those of the named alarms whose state is ALARM.
func (c *StrategyCloud) InAlarm(ctx context.Context, names []string) ([]string, error) {
	cfg, err := c.config(ctx)
	if err != nil {
		return nil, err
	}
	out, err := cloudwatch.NewFromConfig(cfg, CloudWatchQueryProtocol).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names})
	if err != nil {
		return nil, fmt.Errorf("describe alarms %v: %w", names, err)
	}
	var firing []string
	for _, a := range out.MetricAlarms {
		if a.StateValue == cwtypes.StateValueAlarm {
			firing = append(firing, aws.ToString(a.AlarmName))
		}
	}
	for _, a := range out.CompositeAlarms {
		if a.StateValue == cwtypes.StateValueAlarm {
			firing = append(firing, aws.ToString(a.AlarmName))
		}
	}
	return firing, nil
}
