package main

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/platformteam/delivery/pkg/ecsdeploy"
	"github.com/platformteam/delivery/pkg/release"
	"github.com/platformteam/delivery/pkg/release/api"
)

// ecsPlan reads the environment and the artifact and plans the release (no AWS call yet).
func ecsPlan(c *common) (*release.Access, *release.Plan, error) {
	acc, a, err := c.accessAndArtifact()
	if err != nil {
		return nil, nil, err
	}
	p, err := release.For(acc.Env, a, release.Options{ECSTimeout: c.timeout})
	if err != nil {
		return nil, nil, err
	}
	return acc, p, nil
}

func ecsDiff(ctx context.Context, args []string) error {
	c := newFlags("ecs diff")
	if err := c.parse(args); err != nil {
		return err
	}
	acc, p, err := ecsPlan(c)
	if err != nil {
		return err
	}
	d, err := acc.ECSDeployer(ctx)
	if err != nil {
		return err
	}
	plan, err := d.Plan(ctx, p.ECS)
	if err != nil {
		return err
	}
	out := struct {
		Cluster        string          `json:"cluster"`
		Service        string          `json:"service"`
		Container      string          `json:"container"`
		TaskDefinition string          `json:"task_definition"`
		Image          string          `json:"image"`
		Changes        []api.ECSChange `json:"changes"`
	}{p.ECS.Cluster, p.ECS.Service, plan.Container, aws.ToString(plan.Live.TaskDefinitionArn), p.ECS.Image.String(), plan.Changes}
	if out.Changes == nil {
		out.Changes = []api.ECSChange{}
	}
	return c.emit(out, func(w io.Writer) { ecsdeploy.PrintDiff(w, aws.ToString(plan.Live.Family), plan.Changes) })
}

func ecsDeploy(ctx context.Context, args []string) error {
	c := newFlags("ecs deploy").withTimeout("rollout wait (default: ecs.timeout in delivery.yaml)").withLock()
	noRollback := c.fs.Bool("no-rollback", false, "on failure leave the service as ECS left it (exit 4) instead of restoring the previous revision (exit 3)")
	if err := c.parse(args); err != nil {
		return err
	}
	acc, p, err := ecsPlan(c)
	if err != nil {
		return err
	}
	res, err := release.DeployECS(ctx, acc, p, *noRollback)
	if err != nil {
		if res.PreviousTaskDefinition != "" {
			// The result says what was registered and what runs now, also on failure.
			_ = c.emit(res, func(w io.Writer) { fmt.Fprintf(w, "%s: %s\n", res.Outcome, res.Reason) })
		}
		return failed(err)
	}
	return c.emit(res, func(w io.Writer) {
		if res.Outcome == api.Unchanged {
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
	acc, err := c.access()
	if err != nil {
		return err
	}
	res, err := release.RollbackECS(ctx, acc, *to, c.timeout)
	if err != nil {
		return err
	}
	return c.emit(res, func(w io.Writer) { fmt.Fprintf(w, "rolled back: task definition %s → %s\n", res.From, res.To) })
}
