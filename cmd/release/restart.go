package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/platformteam/delivery/pkg/helmdeploy"
	"github.com/platformteam/delivery/pkg/release"
	"github.com/platformteam/delivery/pkg/release/api"
)

func ecsRestart(ctx context.Context, args []string) error {
	c := newFlags("ecs restart").withTimeout("rollout wait (default: ecs.timeout in delivery.yaml)").withLock()
	if err := c.parse(args); err != nil {
		return err
	}
	acc, err := c.access()
	if err != nil {
		return err
	}
	res, err := release.RestartECS(ctx, acc, c.timeout)
	if err != nil {
		if res.Service != "" && c.json {
			_ = c.emit(res, func(io.Writer) {})
		}
		return err
	}
	return c.emit(res, func(w io.Writer) { fmt.Fprintln(w, strings.Join(res.Lines(), "\n")) })
}

func ecsHistory(ctx context.Context, args []string) error {
	c := newFlags("ecs history")
	if err := c.parse(args); err != nil {
		return err
	}
	acc, err := c.access()
	if err != nil {
		return err
	}
	h, err := release.HistoryECS(ctx, acc)
	if err != nil {
		return err
	}
	return c.emit(h, h.Print)
}

func eksRestart(ctx context.Context, args []string) error {
	c := newFlags("eks restart").withKubeconfig().withTimeout("rollout wait (default: eks.timeout in delivery.yaml)").withLock()
	restarts := c.fs.Int("max-restarts", 2, "CrashLoopBackOff restarts tolerated before failing fast")
	if err := c.parse(args); err != nil {
		return err
	}
	acc, err := c.access()
	if err != nil {
		return err
	}
	res, err := release.RestartEKS(ctx, acc, helmdeploy.FailFast{MaxRestarts: int32(*restarts)}, c.timeout)
	if err != nil {
		if res.Release != "" && c.json {
			_ = c.emit(res, func(io.Writer) {})
		}
		return err
	}
	return c.emit(res, func(w io.Writer) { fmt.Fprintln(w, strings.Join(res.Lines(), "\n")) })
}

func eksHistory(ctx context.Context, args []string) error {
	c := newFlags("eks history").withKubeconfig()
	if err := c.parse(args); err != nil {
		return err
	}
	acc, err := c.access()
	if err != nil {
		return err
	}
	revs, err := release.HistoryEKS(ctx, acc)
	if err != nil {
		return err
	}
	return c.emit(revs, func(w io.Writer) { api.PrintEKSHistory(w, revs) })
}
