package ecsdeploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/platformteam/delivery/pkg/release/api"
	"github.com/platformteam/delivery/pkg/waitprogress"
)

// Following a service deployment: the blue/green, linear and canary strategies run through lifecycle
// stages and traffic steps that only ListServiceDeployments/DescribeServiceDeployments report, so the
// wait for those strategies reads the service deployment the update started instead of the service's
// deployments list. ECS rolls such a deployment back itself (an alarm in ALARM, a failed hook): the
// deploy reports it with ECS's reason and does not deploy the previous revision again.

// Why a followed service deployment did not succeed.
const (
	FailureECSRollback = "ecs-rollback" // ECS rolled the service deployment back (alarm, hook, breaker)
	FailureStopped     = "stopped"      // the service deployment was stopped (StopServiceDeployment)
)

// DeploymentPolling is the poll schedule of a service deployment wait: at most 2.5 s between reads,
// so a rollback is reported within a poll of ECS starting it.
var DeploymentPolling = Polling{Min: time.Second, Max: 2500 * time.Millisecond, Factor: 1.5}

// deploymentView is what one DescribeServiceDeployments answer says, reduced to what the deploy reports.
type deploymentView struct {
	Status  types.ServiceDeploymentStatus
	Stage   types.ServiceDeploymentLifecycleStage
	Reason  string
	Running int32
	Desired int32
	// Production and Test are the new revision's requested traffic weights (nil: not reported).
	Production, Test *float64
	Triggered        []string
	RollbackReason   string
	Hooks            []string
}

func viewOf(sd *types.ServiceDeployment) deploymentView {
	v := deploymentView{Status: sd.Status, Stage: sd.LifecycleStage, Reason: aws.ToString(sd.StatusReason)}
	if t := sd.TargetServiceRevision; t != nil {
		v.Running, v.Desired = t.RunningTaskCount, t.RequestedTaskCount
		v.Production, v.Test = t.RequestedProductionTrafficWeight, t.RequestedTestTrafficWeight
	}
	if a := sd.Alarms; a != nil {
		v.Triggered = a.TriggeredAlarmNames
	}
	if r := sd.Rollback; r != nil {
		v.RollbackReason = aws.ToString(r.Reason)
	}
	for _, h := range sd.LifecycleHookDetails {
		v.Hooks = append(v.Hooks, fmt.Sprintf("hook %s (%s): %s", aws.ToString(h.TargetArn), orDash(string(h.TargetType)), h.Status))
	}
	return v
}

// stageLine is the progress line of a view: status, stage, tasks and traffic.
func (v deploymentView) stageLine() string {
	s := fmt.Sprintf("%s %s: new revision %d/%d running", v.Status, orDash(string(v.Stage)), v.Running, v.Desired)
	if v.Production != nil {
		s += fmt.Sprintf(", production traffic %s%% new / %s%% old", weight(*v.Production), weight(100-*v.Production))
	}
	if v.Test != nil {
		s += fmt.Sprintf(", test traffic %s%% new", weight(*v.Test))
	}
	return s
}

func weight(w float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", w), "0"), ".")
}

// terminal says whether the service deployment has ended, and for a failure why.
func (v deploymentView) terminal(taskDefinition string) (done bool, failure *RolloutError) {
	reason := func() string {
		var parts []string
		if v.Reason != "" {
			parts = append(parts, v.Reason)
		}
		if v.RollbackReason != "" && v.RollbackReason != v.Reason {
			parts = append(parts, "rollback: "+v.RollbackReason)
		}
		if len(v.Triggered) > 0 {
			parts = append(parts, "alarms in ALARM: "+strings.Join(v.Triggered, ", "))
		}
		if len(parts) == 0 {
			return "ECS gave no reason"
		}
		return strings.Join(parts, "; ")
	}
	switch v.Status {
	case types.ServiceDeploymentStatusSuccessful:
		return true, nil
	case types.ServiceDeploymentStatusRollbackSuccessful:
		return true, &RolloutError{Kind: FailureECSRollback, TaskDefinition: taskDefinition,
			Reason: "ECS rolled the deployment back (" + string(v.Status) + "): " + reason()}
	case types.ServiceDeploymentStatusRollbackFailed:
		return true, &RolloutError{Kind: FailureECSRollback, TaskDefinition: taskDefinition,
			Reason: "ECS could not roll the deployment back (" + string(v.Status) + "): " + reason()}
	case types.ServiceDeploymentStatusStopped:
		return true, &RolloutError{Kind: FailureStopped, TaskDefinition: taskDefinition, Reason: "the service deployment was STOPPED: " + reason()}
	}
	return false, nil
}

// rollingBack reports a rollback ECS has started but not finished (ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS).
func (v deploymentView) rollingBack() bool {
	return v.Status == types.ServiceDeploymentStatusRollbackRequested || v.Status == types.ServiceDeploymentStatusRollbackInProgress
}

// knownDeployments lists the ARNs of the service's existing service deployments, before the update,
// so the wait can tell the one the update starts from earlier ones.
func knownDeployments(ctx context.Context, a API, cluster, service string) (map[string]bool, error) {
	out, err := a.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String(cluster), Service: aws.String(service), MaxResults: aws.Int32(100)})
	if err != nil {
		return nil, fmt.Errorf("list the service deployments of %s (the deploy follows them for its strategy; the deploy role needs ecs:ListServiceDeployments): %w", service, err)
	}
	known := map[string]bool{}
	for _, sd := range out.ServiceDeployments {
		known[aws.ToString(sd.ServiceDeploymentArn)] = true
	}
	return known, nil
}

// followDeployment waits for the service deployment the update started (the newest one not in known)
// to end. It prints each lifecycle stage, traffic step and hook once as it is reached, and returns the
// stages seen. A rollback or a stop by ECS is a *RolloutError of kind ecs-rollback or stopped.
func (w waiter) followDeployment(ctx context.Context, cluster, service, taskDefinition string, known map[string]bool, timeout time.Duration) (arn string, stages []api.ECSStage, polls int, err error) {
	start := w.clock.Now()
	deadline := start.Add(timeout)
	progress := waitprogress.New(w.out, start, deadline)
	hooksSeen := map[string]bool{}
	interval := time.Duration(0)
	failures := 0
	var lastErr error
	sleep := func(changed bool) error {
		interval = w.polling.next(interval, changed)
		if left := deadline.Sub(w.clock.Now()); interval > left {
			interval = left
		}
		if err := w.clock.Sleep(ctx, interval); err != nil {
			return &RolloutError{Kind: FailureInterrupted, TaskDefinition: taskDefinition, Reason: "cancelled while waiting: " + err.Error()}
		}
		return nil
	}
	for {
		polls++
		now := w.clock.Now()
		if !now.Before(deadline) {
			last := progress.Last()
			if lastErr != nil {
				last += fmt.Sprintf("; last error: %v", lastErr)
			}
			return arn, stages, polls, &RolloutError{Kind: FailureTimeout, TaskDefinition: taskDefinition,
				Reason: fmt.Sprintf("service deployment not finished within %s (last state: %s)", timeout, orDash(last))}
		}
		callCtx, cancel := context.WithTimeout(ctx, CallTimeout)
		sd, found, err := w.readDeployment(callCtx, cluster, service, arn, known)
		cancel()
		if ctx.Err() != nil {
			return arn, stages, polls, &RolloutError{Kind: FailureInterrupted, TaskDefinition: taskDefinition, Reason: "cancelled while waiting: " + ctx.Err().Error()}
		}
		if err != nil {
			failures++
			lastErr = err
			progress.Printf(now, "reading the service deployment failed (%d in a row), retrying: %v", failures, err)
			if e := sleep(false); e != nil {
				return arn, stages, polls, e
			}
			continue
		}
		if failures > 0 {
			progress.Printf(now, "reading the service deployment works again after %d failed call(s)", failures)
			failures = 0
		}
		if !found {
			line := "waiting for ECS to start the service deployment"
			changed := progress.Observe(now, line)
			if e := sleep(changed); e != nil {
				return arn, stages, polls, e
			}
			continue
		}
		if arn == "" {
			arn = aws.ToString(sd.ServiceDeploymentArn)
			fmt.Fprintf(w.out, "  following service deployment %s\n", arn)
		}
		v := viewOf(sd)
		line := v.stageLine()
		changed := progress.Observe(now, line)
		if changed {
			if len(stages) == 0 || stages[len(stages)-1].Stage != string(v.Stage) || stages[len(stages)-1].Status != string(v.Status) ||
				!sameWeight(stages[len(stages)-1].ProductionTrafficPercent, v.Production) {
				stages = append(stages, api.ECSStage{Status: string(v.Status), Stage: string(v.Stage), ProductionTrafficPercent: v.Production,
					TestTrafficPercent: v.Test, Seconds: now.Sub(start).Seconds()})
			}
		}
		for _, h := range v.Hooks {
			key := string(v.Stage) + " " + h
			if !hooksSeen[key] {
				hooksSeen[key] = true
				progress.Printf(now, "%s at %s", h, orDash(string(v.Stage)))
			}
		}
		if v.rollingBack() && len(v.Triggered) > 0 && changed {
			progress.Printf(now, "ECS is rolling back: alarms in ALARM: %s", strings.Join(v.Triggered, ", "))
		}
		if done, failure := v.terminal(taskDefinition); done {
			if failure != nil {
				return arn, stages, polls, failure
			}
			return arn, stages, polls, nil
		}
		if e := sleep(changed); e != nil {
			return arn, stages, polls, e
		}
	}
}

func sameWeight(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// readDeployment finds the service deployment to follow (arn, or the newest one not in known) and describes it.
func (w waiter) readDeployment(ctx context.Context, cluster, service, arn string, known map[string]bool) (*types.ServiceDeployment, bool, error) {
	if arn == "" {
		out, err := w.api.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String(cluster), Service: aws.String(service), MaxResults: aws.Int32(100)})
		if err != nil {
			return nil, false, fmt.Errorf("list service deployments of %s: %w", service, err)
		}
		var newest *types.ServiceDeploymentBrief
		for i := range out.ServiceDeployments {
			sd := &out.ServiceDeployments[i]
			if known[aws.ToString(sd.ServiceDeploymentArn)] {
				continue
			}
			if newest == nil || aws.ToTime(sd.CreatedAt).After(aws.ToTime(newest.CreatedAt)) {
				newest = sd
			}
		}
		if newest == nil {
			return nil, false, nil
		}
		arn = aws.ToString(newest.ServiceDeploymentArn)
	}
	out, err := w.api.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil {
		return nil, false, fmt.Errorf("describe service deployment %s: %w", arn, err)
	}
	if len(out.ServiceDeployments) == 0 {
		reason := "not found"
		for _, f := range out.Failures {
			reason = strings.ToLower(aws.ToString(f.Reason))
		}
		return nil, false, fmt.Errorf("describe service deployment %s: %s", arn, reason)
	}
	return &out.ServiceDeployments[0], true, nil
}
