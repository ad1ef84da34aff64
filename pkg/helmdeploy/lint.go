package helmdeploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint/support"

	"github.com/platformteam/delivery/pkg/artifact"
)

// LintImage is the image the lint renders with when no artifact exists yet: a well-formed reference
// that no registry serves.
var LintImage = ImageValues{Image: lintImage(), BuildVersion: "lint"}

func lintImage() artifact.Pinned {
	p, err := artifact.ParsePinned("lint.invalid/placeholder:0000000@sha256:" + strings.Repeat("0", 64))
	if err != nil {
		panic(err) // a constant reference
	}
	return p
}

// Lint runs Helm's chart linter (strict: warnings count) with the values a deploy would use, then
// renders the chart the way a deploy does. It never talks to a cluster.
func Lint(ctx context.Context, chartPath string, valuesFiles []string, image ImageValues, release, namespace string) error {
	ch, err := LoadChart(chartPath)
	if err != nil {
		return err
	}
	vals, err := ComposeValues(valuesFiles, image)
	if err != nil {
		return err
	}
	l := action.NewLint()
	l.Strict = true
	l.Namespace = namespace
	if kv, err := chartutil.ParseKubeVersion(DefaultRenderKubeVersion); err == nil {
		l.KubeVersion = kv
	}
	res := l.Run([]string{chartPath}, vals)
	var problems []error
	for _, m := range res.Messages {
		if m.Severity >= support.WarningSev {
			problems = append(problems, fmt.Errorf("%s", m.Error()))
		}
	}
	for _, e := range res.Errors {
		if !containsErr(problems, e) {
			problems = append(problems, e)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("chart %s does not lint with %s: %w", chartPath, strings.Join(valuesFiles, ", "), errors.Join(problems...))
	}
	if _, err := Render(ctx, ch, vals, release, namespace); err != nil {
		return err
	}
	return nil
}

func containsErr(errs []error, e error) bool {
	for _, x := range errs {
		if x.Error() == e.Error() {
			return true
		}
	}
	return false
}
