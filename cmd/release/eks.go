package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/platformteam/delivery/pkg/eksauth"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/helmdeploy"
)

// clusterAccess is the local kubeconfig (flag, endpoints.kubeconfig, KUBECONFIG) or, for real
// environments, a kubeconfig built from eks:DescribeCluster with a generated token.
func clusterAccess(ctx context.Context, c *common, env *environment.Environment) (*helmdeploy.ClusterAccess, error) {
	if path := c.kubeconfigPath(env); path != "" {
		return helmdeploy.FromKubeconfig(path, env.EKS.Namespace)
	}
	cfg, err := c.aws(ctx, env)
	if err != nil {
		return nil, err
	}
	kc, tok, err := eksauth.Kubeconfig(ctx, cfg, eks.NewFromConfig(cfg), env.EKS.Cluster)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "EKS cluster %s: token valid until %s\n", env.EKS.Cluster, tok.Expiration.Format(time.RFC3339))
	a := helmdeploy.FromConfig(kc, env.EKS.Namespace).WithRefreshingToken(func(ctx context.Context) (string, time.Time, error) {
		t, err := eksauth.NewToken(ctx, cfg, env.EKS.Cluster, time.Now())
		return t.Value, t.Expiration, err
	})
	a.Source = "EKS cluster " + env.EKS.Cluster
	return a, nil
}

func eksSetup(ctx context.Context, c *common) (*environment.Environment, *helmdeploy.Deployer, error) {
	env, err := c.environment()
	if err != nil {
		return nil, nil, err
	}
	d, err := eksDeployer(ctx, c, env)
	return env, d, err
}

func eksDeployer(ctx context.Context, c *common, env *environment.Environment) (*helmdeploy.Deployer, error) {
	if c.timeout <= 0 {
		c.timeout = env.EKS.Timeout.Duration
	}
	access, err := clusterAccess(ctx, c, env)
	if err != nil {
		return nil, err
	}
	return &helmdeploy.Deployer{Access: access, Out: os.Stderr}, nil
}

func eksDeploy(ctx context.Context, args []string) error {
	c := newFlags("eks deploy").withKubeconfig().withTimeout("Helm wait (default: eks.timeout in delivery.yaml)")
	chart := c.fs.String("chart", "", "chart directory (default: eks.chart in delivery.yaml)")
	pending := c.fs.Duration("pending-threshold", 10*time.Minute, "a pending-* release older than this is treated as stuck and healed")
	restarts := c.fs.Int("max-restarts", 2, "CrashLoopBackOff restarts tolerated before failing fast")
	force := c.fs.Bool("force", false, "upgrade even when the deployed revision already has this chart and these values")
	if err := c.parse(args); err != nil {
		return err
	}
	env, err := c.environment()
	if err != nil {
		return err
	}
	a, err := c.readArtifact()
	if err != nil {
		return err
	}
	chartPath := env.Path(env.EKS.Chart)
	if *chart != "" {
		chartPath = *chart
	}
	var values []string
	for _, v := range env.EKS.ValuesFiles {
		values = append(values, env.Path(v))
	}
	req := helmdeploy.Request{Release: env.EKS.Release, Namespace: env.EKS.Namespace, Chart: chartPath, ValuesFiles: values,
		Image:            helmdeploy.ImageValues{Repository: a.Image, Digest: a.Digest, Tag: a.CommitSHA, BuildVersion: a.BuildVersion},
		PendingThreshold: *pending, Force: *force}
	// Chart, values and image are checked before any cluster access is set up: a chart that does not
	// render fails here.
	ch, err := helmdeploy.LoadChart(chartPath)
	if err != nil {
		return err
	}
	vals, err := helmdeploy.ComposeValues(values, req.Image)
	if err != nil {
		return err
	}
	if _, err := helmdeploy.Render(ctx, ch, vals, req.Release, req.Namespace); err != nil {
		return err
	}
	d, err := eksDeployer(ctx, c, env)
	if err != nil {
		return err
	}
	req.Timeout = c.timeout
	d.FailFast.MaxRestarts = int32(*restarts)
	res, err := d.Deploy(ctx, req)
	var failed *helmdeploy.FailedError
	if errors.As(err, &failed) {
		_ = c.emit(res, func(w io.Writer) { fmt.Fprintf(w, "%s: %s\n", res.Outcome, res.Reason) })
		if failed.RolledBack {
			return withCode(exitRolledBack, err)
		}
		return withCode(exitNotRolledBack, err)
	}
	if err != nil {
		return err
	}
	return c.emit(res, func(w io.Writer) {
		if res.Outcome == helmdeploy.OutcomeUnchanged {
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
	env, d, err := eksSetup(ctx, c)
	if err != nil {
		return err
	}
	res, err := d.Rollback(ctx, helmdeploy.RollbackRequest{Release: env.EKS.Release, Namespace: env.EKS.Namespace, To: *to, Timeout: c.timeout})
	if err != nil {
		return err
	}
	return c.emit(res, func(w io.Writer) {
		fmt.Fprintf(w, "rolled back: release %s revision %d → %d (content of revision %d)\n", res.Release, res.From, res.To, res.Target)
	})
}

func eksHistory(ctx context.Context, args []string) error {
	c := newFlags("eks history").withKubeconfig()
	if err := c.parse(args); err != nil {
		return err
	}
	env, d, err := eksSetup(ctx, c)
	if err != nil {
		return err
	}
	revs, err := d.History(ctx, env.EKS.Release, env.EKS.Namespace)
	if err != nil {
		return err
	}
	return c.emit(revs, func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REVISION\tUPDATED\tSTATUS\tCHART\tDESCRIPTION")
		for _, r := range revs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.Revision, r.Updated.Format(time.RFC3339), r.Status, r.Chart, r.Description)
		}
		tw.Flush()
	})
}
