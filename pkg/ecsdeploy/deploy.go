package ecsdeploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/release/api"
)

// Request names what to deploy where.
type Request struct {
	Cluster string
	Service string
	// Container is the container whose image changes (empty: the first one).
	Container string
	// Image is the pinned image (<registry>/<repo>@sha256:<hex>).
	Image artifact.Pinned
	// Timeout bounds the rollout wait (and, separately, the wait for a restore).
	Timeout time.Duration
	// NoRollback leaves the service as ECS left it when the rollout fails.
	NoRollback bool
	// Strategy, when set, is passed in UpdateService (delivery.yaml ecs.deployment); nil keeps the
	// service's own deployment configuration.
	Strategy *Strategy
}

func (r Request) validate() error {
	var errs []error
	if r.Cluster == "" {
		errs = append(errs, errors.New("cluster is required (ecs.cluster in delivery.yaml)"))
	}
	if r.Service == "" {
		errs = append(errs, errors.New("service is required (ecs.service in delivery.yaml)"))
	}
	if r.Image.IsZero() {
		errs = append(errs, errUnpinned)
	}
	if r.Timeout <= 0 {
		errs = append(errs, errors.New("timeout must be positive"))
	}
	if r.Strategy != nil {
		if err := r.Strategy.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Deployer runs ECS deploys and rollbacks.
type Deployer struct {
	API API
	// Clock drives the rollout wait (RealClock when nil).
	Clock Clock
	// Out receives the progress lines (io.Discard when nil).
	Out     io.Writer
	Polling Polling
}

func (d *Deployer) waiter() waiter {
	w := waiter{api: d.API, clock: d.Clock, out: d.Out, polling: d.Polling, seen: map[string]bool{}}
	if w.clock == nil {
		w.clock = RealClock{}
	}
	if w.out == nil {
		w.out = io.Discard
	}
	if w.polling.Min <= 0 {
		w.polling = DefaultPolling
	}
	return w
}

// Plan is the part of a deploy that happens before any mutation: the live state and the new revision.
type Plan struct {
	Service   *types.Service
	Live      *types.TaskDefinition
	Container string
	Register  *ecs.RegisterTaskDefinitionInput
	Changes   []api.ECSChange
}

// Plan reads the service and its live task definition and renders the next revision; it changes nothing.
func (d *Deployer) Plan(ctx context.Context, req Request) (*Plan, error) {
	if err := req.validate(); err != nil {
		return nil, fmt.Errorf("ecs deploy: %w", err)
	}
	svc, err := describeService(ctx, d.API, req.Cluster, req.Service)
	if err != nil {
		return nil, err
	}
	liveARN := aws.ToString(svc.TaskDefinition)
	td, err := d.API.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(liveARN), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
	if err != nil {
		return nil, fmt.Errorf("describe task definition %s of service %s: %w", liveARN, req.Service, err)
	}
	next, container, err := NextRevision(td.TaskDefinition, td.Tags, req.Container, req.Image)
	if err != nil {
		return nil, err
	}
	current, err := RegistrationFrom(td.TaskDefinition, td.Tags)
	if err != nil {
		return nil, err
	}
	changes, err := Diff(current, next)
	if err != nil {
		return nil, err
	}
	return &Plan{Service: svc, Live: td.TaskDefinition, Container: container, Register: next, Changes: changes}, nil
}

// Deploy registers the next revision, updates the service and waits for the rollout. On failure it
// restores the previous revision (unless req.NoRollback) and returns an *api.FailedError. The result
// is returned in every case: it says what was registered and what runs now.
func (d *Deployer) Deploy(ctx context.Context, req Request) (api.ECSResult, error) {
	w := d.waiter()
	start := w.clock.Now()
	plan, err := d.Plan(ctx, req)
	if err != nil {
		return api.ECSResult{}, err
	}
	previous := aws.ToString(plan.Live.TaskDefinitionArn)
	res := api.ECSResult{Cluster: req.Cluster, Service: req.Service, Container: plan.Container, Image: req.Image.String(),
		PreviousTaskDefinition: previous, Changes: plan.Changes, RunningTaskDefinition: previous}
	if res.Changes == nil {
		res.Changes = []api.ECSChange{}
	}
	for _, c := range plan.Live.ContainerDefinitions {
		if aws.ToString(c.Name) == plan.Container {
			res.PreviousImage = aws.ToString(c.Image)
		}
	}
	finish := func() { res.Seconds = w.clock.Now().Sub(start).Seconds() }
	PrintDiff(w.out, aws.ToString(plan.Live.Family), plan.Changes)

	if len(plan.Changes) == 0 {
		fmt.Fprintf(w.out, "service %s already runs %s with %s; checking its rollout\n", req.Service, shortARN(previous), req.Image)
		res.Polls, err = w.waitForRollout(ctx, req.Cluster, req.Service, previous, req.Timeout)
		finish()
		if err != nil {
			res.Outcome, res.Failure, res.Reason = api.Failed, failureKind(err), err.Error()
			res.Diagnosis = d.Diagnose(ctx, req.Cluster, req.Service, previous)
			return res, failed(res, err, nil)
		}
		res.Outcome = api.Unchanged
		return res, nil
	}

	// The strategy's settings and the service deployments it is followed by are checked before
	// anything changes.
	update := &ecs.UpdateServiceInput{Cluster: aws.String(req.Cluster), Service: aws.String(req.Service)}
	strategy := liveStrategy(plan.Service)
	if req.Strategy != nil {
		strategy = req.Strategy.Kind
		res.Strategy = string(req.Strategy.Kind)
		update.DeploymentConfiguration = req.Strategy.deploymentConfiguration(plan.Service.DeploymentConfiguration)
		if update.LoadBalancers, err = req.Strategy.loadBalancers(plan.Service.LoadBalancers); err != nil {
			return res, fmt.Errorf("ecs deploy: %w", err)
		}
		fmt.Fprintf(w.out, "deployment strategy: %s\n", req.Strategy)
	}
	// The traffic-shifting strategies run through stages only the service deployment reports; a rolling
	// update that watches alarms is followed the same way, so an alarm's rollback is reported as ECS's
	// rollback with the alarms that fired (the deployments list only says FAILED).
	follow := strategy != "" && (strategy != types.DeploymentStrategyRolling || (req.Strategy != nil && len(req.Strategy.Alarms) > 0))
	var known map[string]bool
	if follow {
		if known, err = knownDeployments(ctx, d.API, req.Cluster, req.Service); err != nil {
			return res, err
		}
	}

	reg, err := d.API.RegisterTaskDefinition(ctx, plan.Register)
	if err != nil {
		return res, fmt.Errorf("register task definition %s: %w", aws.ToString(plan.Register.Family), err)
	}
	next := aws.ToString(reg.TaskDefinition.TaskDefinitionArn)
	res.TaskDefinition = next
	fmt.Fprintf(w.out, "registered %s (was %s)\n", shortARN(next), shortARN(previous))

	update.TaskDefinition = aws.String(next)
	if _, err := d.API.UpdateService(ctx, update); err != nil {
		return res, fmt.Errorf("update service %s to %s: %w (the new revision is registered but not deployed)", req.Service, shortARN(next), err)
	}
	fmt.Fprintf(w.out, "service %s: task definition %s → %s, waiting up to %s for the rollout\n", req.Service, shortARN(previous), shortARN(next), req.Timeout)
	res.RunningTaskDefinition = next

	if follow {
		fw := w
		if d.Polling.Min <= 0 {
			fw.polling = DeploymentPolling
		}
		res.ServiceDeployment, res.Stages, res.Polls, err = fw.followDeployment(ctx, req.Cluster, req.Service, next, known, req.Timeout)
		if err == nil {
			// SUCCESSFUL: the service must now run our revision (another deploy may have followed).
			if svc, derr := describeService(ctx, d.API, req.Cluster, req.Service); derr != nil {
				err = &RolloutError{Kind: FailureUnobservable, TaskDefinition: next, Reason: derr.Error()}
			} else if cur := aws.ToString(svc.TaskDefinition); cur != next {
				err = &RolloutError{Kind: FailureReplaced, TaskDefinition: next,
					Reason: fmt.Sprintf("the service deployment succeeded but the service now runs %s: another deployment replaced this one", shortARN(cur))}
			}
		}
		if failureKind(err) == FailureECSRollback {
			// ECS put the previous revision back itself: report it, deploy nothing more.
			if svc, derr := describeService(ctx, d.API, req.Cluster, req.Service); derr == nil && aws.ToString(svc.TaskDefinition) == previous {
				finish()
				res.Outcome, res.Failure, res.Reason, res.RunningTaskDefinition = api.RolledBack, FailureECSRollback, err.Error(), previous
				fmt.Fprintf(w.out, "%v\nECS rolled %s back: task definition %s → %s\n", err, req.Service, shortARN(next), shortARN(previous))
				return res, failed(res, err, nil)
			}
		}
	} else {
		res.Polls, err = w.waitForRollout(ctx, req.Cluster, req.Service, next, req.Timeout)
	}
	if err == nil {
		finish()
		res.Outcome = api.Deployed
		fmt.Fprintf(w.out, "deployed %s to %s in %.1fs: task definition %s → %s\n", req.Image, req.Service, res.Seconds, shortARN(previous), shortARN(next))
		return res, nil
	}
	// Whatever ended the wait (a rollback, a timeout, cancellation, a service that cannot be read),
	// the new revision is not known to run: restore the previous one.
	res.Failure, res.Reason = failureKind(err), err.Error()
	// Read why before the restore replaces the failed deployment.
	res.Diagnosis = d.Diagnose(ctx, req.Cluster, req.Service, next)
	for _, line := range res.Diagnosis.Lines() {
		fmt.Fprintf(w.out, "  why: %s\n", line)
	}
	if req.NoRollback {
		if svc, derr := describeService(ctx, d.API, req.Cluster, req.Service); derr == nil {
			res.RunningTaskDefinition = aws.ToString(svc.TaskDefinition)
		}
		finish()
		res.Outcome = api.Failed
		return res, failed(res, err, nil)
	}
	fmt.Fprintf(w.out, "%v\nrestoring %s\n", err, shortARN(previous))
	restoreErr := d.restore(ctx, w, req, previous)
	finish()
	if restoreErr != nil {
		res.Outcome = api.Failed
		if svc, derr := describeService(ctx, d.API, req.Cluster, req.Service); derr == nil {
			res.RunningTaskDefinition = aws.ToString(svc.TaskDefinition)
		}
		return res, failed(res, err, restoreErr)
	}
	res.Outcome = api.RolledBack
	res.RunningTaskDefinition = previous
	fmt.Fprintf(w.out, "rolled back %s: task definition %s → %s\n", req.Service, shortARN(next), shortARN(previous))
	return res, failed(res, err, nil)
}

// failed is the error of a deploy whose rollout failed, from its result.
func failed(res api.ECSResult, cause, restoreErr error) *api.FailedError {
	e := &api.FailedError{Target: api.ECS, Outcome: res.Outcome, Cause: cause, RestoreErr: restoreErr,
		Running: "task definition " + shortARN(res.RunningTaskDefinition)}
	switch {
	case restoreErr != nil:
		e.Hint = "run `release ecs rollback` once the cause is fixed"
	case res.Outcome == api.Failed:
		e.Hint = "the service was left as ECS left it (--no-rollback, or the rollout of what already ran failed); run `release ecs rollback` or deploy a fixed version"
	}
	return e
}

// restore points the service at taskDefinition and waits for that rollout. It uses a fresh context so a
// cancelled deploy (Ctrl-C, CI job timeout) still gets its rollback, bounded by the request's timeout.
func (d *Deployer) restore(ctx context.Context, w waiter, req Request, taskDefinition string) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), req.Timeout+30*time.Second)
	defer cancel()
	if _, err := d.API.UpdateService(rctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(req.Cluster), Service: aws.String(req.Service), TaskDefinition: aws.String(taskDefinition)}); err != nil {
		return fmt.Errorf("update service %s back to %s: %w", req.Service, shortARN(taskDefinition), err)
	}
	if _, err := w.waitForRollout(rctx, req.Cluster, req.Service, taskDefinition, req.Timeout); err != nil {
		return err
	}
	return nil
}

func failureKind(err error) string {
	var re *RolloutError
	if errors.As(err, &re) {
		return re.Kind
	}
	return ""
}

// liveStrategy is the deployment strategy the service is configured with ("" when it reports none).
func liveStrategy(svc *types.Service) types.DeploymentStrategy {
	if svc == nil || svc.DeploymentConfiguration == nil {
		return ""
	}
	return svc.DeploymentConfiguration.Strategy
}
