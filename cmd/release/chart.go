package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/platformteam/delivery/pkg/helmdeploy"
)

// chartLint lints and renders the environment's chart with its values files (no cluster, no artifact
// needed: a placeholder digest stands in).
func chartLint(ctx context.Context, args []string) error {
	c := newFlags("chart lint")
	chart := c.fs.String("chart", "", "chart directory (default: eks.chart in delivery.yaml)")
	if err := c.parse(args); err != nil {
		return err
	}
	env, err := c.environment()
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
	if err := helmdeploy.Lint(ctx, chartPath, values, helmdeploy.LintImage, env.EKS.Release, env.EKS.Namespace); err != nil {
		return err
	}
	res := map[string]any{"chart": chartPath, "values_files": env.EKS.ValuesFiles, "ok": true}
	return c.emit(res, func(w io.Writer) {
		fmt.Fprintf(w, "chart %s lints and renders with %s\n", env.EKS.Chart, strings.Join(env.EKS.ValuesFiles, ", "))
	})
}
