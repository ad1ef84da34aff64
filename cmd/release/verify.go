package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/platformteam/delivery/pkg/release"
	"github.com/platformteam/delivery/pkg/release/api"
)

func verifyCmd(ctx context.Context, args []string) error {
	c := newFlags("verify").withKubeconfig()
	platform := c.fs.String("platform", "both", "ecs, eks or both")
	strict := c.fs.Bool("strict", false, "fail when a check had to fall back (no imageDigest/imageID reported)")
	selector := c.fs.String("selector", "", "pod label selector (default: app.kubernetes.io/instance=<eks.release>)")
	if err := c.parse(args); err != nil {
		return err
	}
	targets := map[string][]api.Target{"ecs": {api.ECS}, "eks": {api.EKS}, "both": api.Targets}[*platform]
	if targets == nil {
		return usageError("--platform must be ecs, eks or both")
	}
	acc, a, err := c.accessAndArtifact()
	if err != nil {
		return err
	}
	p, err := release.For(acc.Env, a, release.Options{})
	if err != nil {
		return err
	}
	report, err := release.Verify(ctx, acc, p, targets, *selector)
	if err != nil {
		return err
	}
	report.Print(os.Stderr)
	if err := c.emit(report, func(w io.Writer) {
		if report.Err(*strict) == nil {
			fmt.Fprintf(w, "verified: %d check(s) run %s\n", len(report.Checks), a.Digest())
		}
	}); err != nil {
		return err
	}
	return withCode(exitMismatch, report.Err(*strict))
}
