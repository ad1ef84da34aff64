package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/platformteam/delivery/pkg/ecsdeploy"
	"github.com/platformteam/delivery/pkg/environment"
)

func ecsSetup(ctx context.Context, c *common) (*environment.Environment, *ecsdeploy.Deployer, error) {
	env, err := c.environment()
	if err != nil {
		return nil, nil, err
	}
	if c.timeout <= 0 {
		c.timeout = env.ECS.Timeout.Duration
	}
	cfg, err := c.aws(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	return env, &ecsdeploy.Deployer{API: ecs.NewFromConfig(cfg), Out: os.Stderr}, nil
}

func ecsRequest(env *environment.Environment, c *common) (ecsdeploy.Request, error) {
	a, err := c.readArtifact()
	if err != nil {
		return ecsdeploy.Request{}, err
	}
	return ecsdeploy.Request{Cluster: env.ECS.Cluster, Service: env.ECS.Service, Container: env.ECS.Container,
		Image: a.Ref(), Timeout: c.timeout}, nil
}

func ecsDiff(ctx context.Context, args []string) error {
	c := newFlags("ecs diff")
	if err := c.parse(args); err != nil {
		return err
	}
	env, d, err := ecsSetup(ctx, c)
	if err != nil {
		return err
	}
	req, err := ecsRequest(env, c)
	if err != nil {
		return err
	}
	plan, err := d.Plan(ctx, req)
	if err != nil {
		return err
	}
	out := struct {
		Cluster        string             `json:"cluster"`
		Service        string             `json:"service"`
		Container      string             `json:"container"`
		TaskDefinition string             `json:"task_definition"`
		Image          string             `json:"image"`
		Changes        []ecsdeploy.Change `json:"changes"`
	}{req.Cluster, req.Service, plan.Container, aws.ToString(plan.Live.TaskDefinitionArn), req.Image, plan.Changes}
	if out.Changes == nil {
		out.Changes = []ecsdeploy.Change{}
	}
	return c.emit(out, func(w io.Writer) { ecsdeploy.PrintDiff(w, aws.ToString(plan.Live.Family), plan.Changes) })
}

func ecsDeploy(ctx context.Context, args []string) error {
	c := newFlags("ecs deploy").withTimeout("rollout wait (default: ecs.timeout in delivery.yaml)")
	noRollback := c.fs.Bool("no-rollback", false, "on failure leave the service as ECS left it (exit 4) instead of restoring the previous revision (exit 3)")
	if err := c.parse(args); err != nil {
		return err
	}
	env, d, err := ecsSetup(ctx, c)
	if err != nil {
		return err
	}
	req, err := ecsRequest(env, c)
	if err != nil {
		return err
	}
	req.NoRollback = *noRollback
	res, err := d.Deploy(ctx, req)
	var failed *ecsdeploy.FailedError
	if errors.As(err, &failed) {
		_ = c.emit(res, func(w io.Writer) { fmt.Fprintf(w, "%s: %s\n", res.Outcome, res.Reason) })
		if failed.RolledBack {
			return withCode(exitRolledBack, err)
		}
		return withCode(exitNotRolledBack, err)
	}
	if err != nil {
		if res.TaskDefinition != "" {
			// Failed after registering (e.g. update-service refused): say what exists now.
			_ = c.emit(res, func(io.Writer) {})
		}
		return err
	}
	return c.emit(res, func(w io.Writer) {
		if res.Outcome == ecsdeploy.OutcomeUnchanged {
			fmt.Fprintf(w, "unchanged: %s already runs %s\n", res.Service, res.PreviousTaskDefinition)
			return
		}
		fmt.Fprintf(w, "deployed: task definition %s → %s (%s)\n", res.PreviousTaskDefinition, res.TaskDefinition, res.Image)
	})
}

func ecsRollback(ctx context.Context, args []string) error {
	c := newFlags("ecs rollback").withTimeout("rollout wait (default: ecs.timeout in delivery.yaml)")
	to := c.fs.String("to", "", "revision number, family:revision or ARN (default: the ACTIVE revision below the current one)")
	if err := c.parse(args); err != nil {
		return err
	}
	env, d, err := ecsSetup(ctx, c)
	if err != nil {
		return err
	}
	res, err := d.Rollback(ctx, ecsdeploy.RollbackRequest{Cluster: env.ECS.Cluster, Service: env.ECS.Service, To: *to, Timeout: c.timeout})
	if err != nil {
		return err
	}
	return c.emit(res, func(w io.Writer) { fmt.Fprintf(w, "rolled back: task definition %s → %s\n", res.From, res.To) })
}
