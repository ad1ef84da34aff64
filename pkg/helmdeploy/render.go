package helmdeploy

import (
	"context"
	"fmt"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// LoadChart loads a chart directory or archive.
func LoadChart(path string) (*chart.Chart, error) {
	ch, err := loader.Load(path)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w (check eks.chart in delivery.yaml)", path, err)
	}
	if ch.Metadata.Type != "" && ch.Metadata.Type != "application" {
		return nil, fmt.Errorf("chart %s is a %s chart: only application charts can be deployed", path, ch.Metadata.Type)
	}
	return ch, nil
}

// Render templates the chart client-side, without a cluster, exactly as an install would, and returns
// the manifest. A chart that does not render fails here, before anything talks to the cluster.
func Render(ctx context.Context, ch *chart.Chart, vals map[string]any, release, namespace string) (string, error) {
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.DryRun = true
	install.ClientOnly = true
	install.Replace = true
	install.ReleaseName = release
	install.Namespace = namespace
	install.IncludeCRDs = true
	rel, err := install.RunWithContext(ctx, ch, vals)
	if err != nil {
		return "", fmt.Errorf("chart %s does not render: %w (nothing was sent to the cluster)", ch.Name(), err)
	}
	return rel.Manifest, nil
}
