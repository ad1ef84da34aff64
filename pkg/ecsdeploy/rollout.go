package ecsdeploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/platformteam/delivery/pkg/waitprogress"
)

// Why a rollout did not complete.
const (
	FailureCircuitBreaker = "circuit-breaker" // ECS marked the deployment FAILED (breaker or alarm) and rolled back
	FailureReplaced       = "replaced"        // another deployment took over the service
	FailureTimeout        = "timeout"         // not completed before the deadline
	FailureInterrupted    = "interrupted"     // the deploy was cancelled (Ctrl-C, CI job cancelled) while waiting
	FailureUnobservable   = "unobservable"    // the service could no longer be read (deleted, drained, its cluster gone)
)

// CallTimeout bounds each ECS API call of a wait: a call that hangs is retried like any transient error
// instead of holding the deploy.
const CallTimeout = 30 * time.Second

// RolloutError says why the rollout of a task definition did not complete.
type RolloutError struct {
	Kind           string
	TaskDefinition string
	Reason         string
}

func (e *RolloutError) Error() string {
	return fmt.Sprintf("rollout of %s failed (%s): %s", shortARN(e.TaskDefinition), e.Kind, e.Reason)
}

// waiter polls DescribeServices until the deployment of one task definition is done.
type waiter struct {
	api     API
	clock   Clock
	out     io.Writer
	polling Polling
	// seen holds the IDs of service events already printed, shared by a deploy's waits.
	seen map[string]bool
	// earlier holds the IDs of deployments that existed before the change being waited for: a restart
	// deploys the same task definition again, so only a deployment not in earlier is its own.
	earlier map[string]bool
}

// waitForRollout returns nil once the deployment running taskDefinition is PRIMARY, its rolloutState
// COMPLETED and running = desired; a *RolloutError when ECS rolled it back, replaced it, or time ran out.
// It prints one line per change of state and each new service event once.
func (w waiter) waitForRollout(ctx context.Context, cluster, service, taskDefinition string, timeout time.Duration) (polls int, err error) {
	start := w.clock.Now()
	deadline := start.Add(timeout)
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	progress := waitprogress.New(w.out, start, deadline)
	interval := time.Duration(0)
	sawOurs := false
	failures := 0 // consecutive failed DescribeServices calls
	mine := ""    // a restart's own deployment, once seen
	var lastErr error
	for {
		polls++
		callCtx, cancel := context.WithTimeout(ctx, CallTimeout)
		svc, err := describeService(callCtx, w.api, cluster, service)
		cancel()
		if ctx.Err() != nil {
			return polls, &RolloutError{Kind: FailureInterrupted, TaskDefinition: taskDefinition, Reason: "cancelled while waiting: " + ctx.Err().Error()}
		}
		var gone *serviceStateError
		if errors.As(err, &gone) {
			return polls, &RolloutError{Kind: FailureUnobservable, TaskDefinition: taskDefinition, Reason: err.Error()}
		}
		if err != nil {
			// Throttling, a 5xx, a reset connection, a call timeout: the rollout goes on without us
			// looking, so keep polling until the deadline.
			failures++
			lastErr = err
			now := w.clock.Now()
			progress.Printf(now, "reading the service failed (%d in a row), retrying: %v", failures, err)
			if !now.Before(deadline) {
				return polls, &RolloutError{Kind: FailureTimeout, TaskDefinition: taskDefinition,
					Reason: fmt.Sprintf("not completed within %s (last state: %s; last error: %v)", timeout, orDash(progress.Last()), lastErr)}
			}
			interval = w.polling.next(interval, false)
			if left := deadline.Sub(now); interval > left {
				interval = left
			}
			if err := w.clock.Sleep(ctx, interval); err != nil {
				return polls, &RolloutError{Kind: FailureInterrupted, TaskDefinition: taskDefinition, Reason: "cancelled while waiting: " + err.Error()}
			}
			continue
		}
		if failures > 0 {
			progress.Printf(w.clock.Now(), "reading the service works again after %d failed call(s)", failures)
			failures = 0
		}
		printEvents(w.out, svc.Events, start, w.seen)
		if w.earlier != nil {
			// A restart: the same task definition as the deployments it replaces, so its own deployment
			// is told apart by ID — the first one not in earlier — and judged alone.
			svc = withoutDeployments(svc, w.earlier)
			if failure := pinDeployment(svc, taskDefinition, &mine); failure != nil {
				return polls, failure
			}
			if mine != "" {
				svc = onlyDeployment(svc, mine)
			}
		}

		state, done, failure := assess(svc, taskDefinition, &sawOurs)
		now := w.clock.Now()
		changed := progress.Observe(now, state)
		if failure != nil {
			return polls, failure
		}
		if done {
			return polls, nil
		}
		if !now.Before(deadline) {
			return polls, &RolloutError{Kind: FailureTimeout, TaskDefinition: taskDefinition,
				Reason: fmt.Sprintf("not completed within %s (last state: %s)", timeout, progress.Last())}
		}
		interval = w.polling.next(interval, changed)
		if left := deadline.Sub(now); interval > left {
			interval = left
		}
		if err := w.clock.Sleep(ctx, interval); err != nil {
			return polls, &RolloutError{Kind: FailureInterrupted, TaskDefinition: taskDefinition, Reason: "cancelled while waiting: " + err.Error()}
		}
	}
}

// assess reads one DescribeServices answer: a one-line state, whether the rollout is done, or why it failed.
func assess(svc *types.Service, taskDefinition string, sawOurs *bool) (string, bool, *RolloutError) {
	var ours, primary *types.Deployment
	for i := range svc.Deployments {
		d := &svc.Deployments[i]
		if aws.ToString(d.TaskDefinition) == taskDefinition && (ours == nil || aws.ToString(d.Status) == "PRIMARY") {
			ours = d
		}
		if aws.ToString(d.Status) == "PRIMARY" {
			primary = d
		}
	}
	others := len(svc.Deployments)
	if ours != nil {
		others--
	}
	if ours == nil {
		state := fmt.Sprintf("waiting for a deployment of %s (service runs %s, %d deployment(s))",
			shortARN(taskDefinition), shortARN(aws.ToString(svc.TaskDefinition)), len(svc.Deployments))
		if *sawOurs || aws.ToString(svc.TaskDefinition) != taskDefinition {
			return state, false, &RolloutError{Kind: FailureReplaced, TaskDefinition: taskDefinition,
				Reason: fmt.Sprintf("the service now runs %s: another deployment or a rollback replaced this one", shortARN(aws.ToString(svc.TaskDefinition)))}
		}
		return state, false, nil
	}
	*sawOurs = true
	state := fmt.Sprintf("%s %s %s: running %d/%d, pending %d, failed tasks %d",
		shortARN(taskDefinition), aws.ToString(ours.Status), orDash(string(ours.RolloutState)),
		ours.RunningCount, ours.DesiredCount, ours.PendingCount, ours.FailedTasks)
	if others > 0 {
		state += fmt.Sprintf(" (%d other deployment(s) draining)", others)
	}
	if ours.RolloutState == types.DeploymentRolloutStateFailed {
		reason := aws.ToString(ours.RolloutStateReason)
		if primary != nil && primary != ours {
			reason += fmt.Sprintf("; ECS rolled the service back to %s", shortARN(aws.ToString(primary.TaskDefinition)))
		}
		return state, false, &RolloutError{Kind: FailureCircuitBreaker, TaskDefinition: taskDefinition, Reason: strings.TrimPrefix(reason, "; ")}
	}
	if aws.ToString(ours.Status) != "PRIMARY" && primary != nil {
		return state, false, &RolloutError{Kind: FailureReplaced, TaskDefinition: taskDefinition,
			Reason: fmt.Sprintf("%s became PRIMARY instead (a rollback or another deploy)", shortARN(aws.ToString(primary.TaskDefinition)))}
	}
	complete := ours.RolloutState == types.DeploymentRolloutStateCompleted ||
		// Without rollout states (external controllers) only a single, fully running deployment counts.
		(ours.RolloutState == "" && len(svc.Deployments) == 1)
	done := aws.ToString(ours.Status) == "PRIMARY" && complete && ours.RunningCount == ours.DesiredCount
	return state, done, nil
}

// withoutDeployments is svc without the deployments whose IDs are in ids.
func withoutDeployments(svc *types.Service, ids map[string]bool) *types.Service {
	cp := *svc
	cp.Deployments = nil
	for _, d := range svc.Deployments {
		if !ids[aws.ToString(d.Id)] {
			cp.Deployments = append(cp.Deployments, d)
		}
	}
	return &cp
}

// pinDeployment sets *mine to the new deployment (PRIMARY first) when unset, and fails when another
// deployment became PRIMARY over it: ECS's circuit breaker rolled back (mine FAILED), or another change
// replaced it.
func pinDeployment(svc *types.Service, taskDefinition string, mine *string) *RolloutError {
	if *mine == "" {
		for _, d := range svc.Deployments {
			if aws.ToString(d.Status) == "PRIMARY" || *mine == "" {
				*mine = aws.ToString(d.Id)
			}
		}
		return nil
	}
	var ours, primary *types.Deployment
	for i := range svc.Deployments {
		d := &svc.Deployments[i]
		if aws.ToString(d.Id) == *mine {
			ours = d
		} else if aws.ToString(d.Status) == "PRIMARY" {
			primary = d
		}
	}
	if primary == nil {
		return nil
	}
	if ours != nil && ours.RolloutState == types.DeploymentRolloutStateFailed {
		return &RolloutError{Kind: FailureCircuitBreaker, TaskDefinition: taskDefinition,
			Reason: fmt.Sprintf("%s; ECS rolled the service back (deployment %s)", aws.ToString(ours.RolloutStateReason), aws.ToString(primary.Id))}
	}
	return &RolloutError{Kind: FailureReplaced, TaskDefinition: taskDefinition,
		Reason: fmt.Sprintf("deployment %s became PRIMARY instead of %s (a rollback or another deploy)", aws.ToString(primary.Id), *mine)}
}

// onlyDeployment is svc with only the deployment whose ID is id.
func onlyDeployment(svc *types.Service, id string) *types.Service {
	cp := *svc
	cp.Deployments = nil
	for _, d := range svc.Deployments {
		if aws.ToString(d.Id) == id {
			cp.Deployments = append(cp.Deployments, d)
		}
	}
	return &cp
}

// serviceStateError is an answer that waiting will not change: no such cluster or service, or a
// service that is not ACTIVE. Every other DescribeServices error may be transient.
type serviceStateError struct{ msg string }

func (e *serviceStateError) Error() string { return e.msg }

func describeService(ctx context.Context, api API, cluster, service string) (*types.Service, error) {
	out, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	var nf *types.ClusterNotFoundException
	if errors.As(err, &nf) {
		return nil, &serviceStateError{fmt.Sprintf("ECS cluster %s not found (check ecs.cluster in delivery.yaml and the region)", cluster)}
	}
	if err != nil {
		return nil, fmt.Errorf("describe service %s in cluster %s: %w", service, cluster, err)
	}
	for _, f := range out.Failures {
		return nil, &serviceStateError{fmt.Sprintf("service %s in cluster %s: %s (check ecs.cluster and ecs.service in delivery.yaml)",
			service, cluster, strings.ToLower(aws.ToString(f.Reason)))}
	}
	if len(out.Services) == 0 {
		return nil, &serviceStateError{fmt.Sprintf("service %s not found in cluster %s (check ecs.cluster and ecs.service in delivery.yaml)", service, cluster)}
	}
	svc := &out.Services[0]
	if s := aws.ToString(svc.Status); s != "" && s != "ACTIVE" {
		return nil, &serviceStateError{fmt.Sprintf("service %s in cluster %s is %s, not ACTIVE: recreate it with its stack before deploying", service, cluster, s)}
	}
	return svc, nil
}

// printEvents prints, oldest first, the service events created since start that were not printed yet.
func printEvents(out io.Writer, events []types.ServiceEvent, since time.Time, seen map[string]bool) {
	var fresh []types.ServiceEvent
	for _, e := range events {
		id := aws.ToString(e.Id)
		if seen[id] || e.CreatedAt == nil || e.CreatedAt.Before(since.Add(-time.Second)) {
			continue
		}
		seen[id] = true
		fresh = append(fresh, e)
	}
	sort.Slice(fresh, func(i, j int) bool { return fresh[i].CreatedAt.Before(*fresh[j].CreatedAt) })
	for _, e := range fresh {
		fmt.Fprintf(out, "  event: %s\n", aws.ToString(e.Message))
	}
}

func shortARN(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// IsRolloutError reports whether err is (or wraps) a *RolloutError.
func IsRolloutError(err error) bool {
	var re *RolloutError
	return errors.As(err, &re)
}
