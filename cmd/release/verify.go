package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"k8s.io/client-go/kubernetes"

	"github.com/platformteam/delivery/pkg/verify"
)

func verifyCmd(ctx context.Context, args []string) error {
	c := newFlags("verify").withKubeconfig()
	platform := c.fs.String("platform", "both", "ecs, eks or both")
	strict := c.fs.Bool("strict", false, "fail when a check had to fall back (no imageDigest/imageID reported)")
	selector := c.fs.String("selector", "", "pod label selector (default: app.kubernetes.io/instance=<eks.release>)")
	if err := c.parse(args); err != nil {
		return err
	}
	if *platform != "ecs" && *platform != "eks" && *platform != "both" {
		return usageError("--platform must be ecs, eks or both")
	}
	env, err := c.environment()
	if err != nil {
		return err
	}
	a, err := c.readArtifact()
	if err != nil {
		return err
	}
	report := verify.Report{Digest: a.Digest, Checks: []verify.Check{}, Problems: []string{}}
	if *platform != "eks" {
		cfg, err := c.aws(ctx, env)
		if err != nil {
			return err
		}
		r, err := verify.ECS(ctx, ecs.NewFromConfig(cfg), env.ECS.Cluster, env.ECS.Service, env.ECS.Container, a.Digest)
		if err != nil {
			return err
		}
		report.Merge(r)
	}
	if *platform != "ecs" {
		access, err := clusterAccess(ctx, c, env)
		if err != nil {
			return err
		}
		rc, err := access.ToRESTConfig()
		if err != nil {
			return err
		}
		cs, err := kubernetes.NewForConfig(rc)
		if err != nil {
			return err
		}
		sel := *selector
		if sel == "" {
			sel = verify.ReleaseSelector(env.EKS.Release)
		}
		r, err := verify.Pods(ctx, cs, env.EKS.Namespace, sel, a.Image, a.Digest)
		if err != nil {
			return err
		}
		report.Merge(r)
	}
	report.Print(os.Stderr)
	if err := c.emit(report, func(w io.Writer) {
		if report.Err(*strict) == nil {
			fmt.Fprintf(w, "verified: %d check(s) run %s\n", len(report.Checks), a.Digest)
		}
	}); err != nil {
		return err
	}
	return withCode(exitMismatch, report.Err(*strict))
}
