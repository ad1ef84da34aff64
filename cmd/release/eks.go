package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/platformteam/delivery/pkg/helmdeploy"
	"github.com/platformteam/delivery/pkg/release"
	"github.com/platformteam/delivery/pkg/release/api"
)

func eksDeploy(ctx context.Context, args []string) error {
	c := newFlags("eks deploy").withKubeconfig().withTimeout("Helm wait (default: eks.timeout in delivery.yaml)").withLock()
	chart := c.fs.String("chart", "", "chart directory (default: eks.chart in delivery.yaml)")
	pending := c.fs.Duration("pending-threshold", 10*time.Minute, "a pending-* release older than this is treated as stuck and healed")
	restarts := c.fs.Int("max-restarts", 2, "CrashLoopBackOff restarts tolerated before failing fast")
	force := c.fs.Bool("force", false, "upgrade even when the deployed revision already has this chart and these values")
	if err := c.parse(args); err != nil {
		return err
	}
	acc, a, err := c.accessAndArtifact()
	if err != nil {
		return err
	}
	p, err := release.For(acc.Env, a, release.Options{Chart: *chart, EKSTimeout: c.timeout})
	if err != nil {
		return err
	}
	p.EKS.PendingThreshold, p.EKS.Force = *pending, *force
	// Chart, values and image are checked (and the chart rendered, once) before any cluster access.
	prepared, err := p.PrepareEKS(ctx)
	if err != nil {
		return err
	}
	res, err := release.DeployEKS(ctx, acc, p.Artifact, prepared, helmdeploy.FailFast{MaxRestarts: int32(*restarts)})
	if err != nil {
		if res.Outcome != "" {
			_ = c.emit(res, func(w io.Writer) { fmt.Fprintf(w, "%s: %s\n", res.Outcome, res.Reason) })
		}
		return failed(err)
	}
	return c.emit(res, func(w io.Writer) {
		if res.Outcome == api.Unchanged {
			fmt.Fprintf(w, "unchanged: release %s revision %d already runs %s\n", res.Release, res.CurrentRevision, res.Image)
			return
		}
		fmt.Fprintf(w, "deployed: release %s revision %d → %d (%s)\n", res.Release, res.OldRevision, res.NewRevision, res.Image)
	})
}

func eksRollback(ctx context.Context, args []string) error {
	c := newFlags("eks rollback").withKubeconfig().withTimeout("Helm wait (default: eks.timeout in delivery.yaml)")
	to := c.fs.Int("to", 0, "revision to restore (default: the last successful one before the deployed revision)")
	if err := c.parse(args); err != nil {
		return err
	}
	acc, err := c.access()
	if err != nil {
		return err
	}
	res, err := release.RollbackEKS(ctx, acc, *to, c.timeout)
	if err != nil {
		return err
	}
	return c.emit(res, func(w io.Writer) {
		fmt.Fprintf(w, "rolled back: release %s revision %d → %d (content of revision %d)\n", res.Release, res.From, res.To, res.Target)
	})
}
