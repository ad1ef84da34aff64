//go:build integration

package kube_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/release"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
)

func helmConfig(t *testing.T, kubeconfig, namespace string) *action.Configuration {
	t.Helper()
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig = &kubeconfig
	flags.Namespace = &namespace
	cfg := new(action.Configuration)
	if err := cfg.Init(flags, namespace, "secret", func(string, ...interface{}) {}); err != nil {
		t.Fatalf("helm configuration: %v", err)
	}
	return cfg
}

// Helm atomic+wait against the sandbox: a good release becomes ready; an upgrade whose pods never
// get ready is rolled back, and the history shows it.
func TestHelmAtomicInstallAndRollback(t *testing.T) {
	sb := sandboxtest.Env(t)
	client := sb.Kube(t)
	ns := testNamespace(t, client)
	cfg := helmConfig(t, sb.Kubeconfig, ns)
	chart, err := loader.Load("testdata/charts/probe")
	if err != nil {
		t.Fatal(err)
	}
	const name = "probe"

	install := action.NewInstall(cfg)
	install.ReleaseName, install.Namespace = name, ns
	install.Wait, install.Atomic, install.Timeout = true, true, 90*time.Second
	rel, err := install.RunWithContext(context.Background(), chart, map[string]interface{}{"image": sb.Registry + "/sandbox/probe:1"})
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	if rel.Info.Status != release.StatusDeployed {
		t.Fatalf("install status %s, want deployed", rel.Info.Status)
	}

	upgrade := action.NewUpgrade(cfg)
	upgrade.Namespace = ns
	upgrade.Wait, upgrade.Atomic, upgrade.Timeout = true, true, 15*time.Second
	_, err = upgrade.RunWithContext(context.Background(), name, chart, map[string]interface{}{
		"image": sb.Registry + "/sandbox/probe:2", "failReadiness": true,
	})
	if err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("upgrade with never-ready pods = %v, want an atomic rollback", err)
	}

	history, err := action.NewHistory(cfg).Run(name)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range history {
		got = append(got, string(r.Info.Status))
	}
	want := []string{"superseded", "failed", "deployed"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("history statuses %v, want %v", got, want)
	}
	if last := history[len(history)-1]; !strings.Contains(last.Info.Description, "Rollback to 1") {
		t.Errorf("last revision description %q, want a rollback to revision 1", last.Info.Description)
	}
	current, err := action.NewGet(cfg).Run(name)
	if err != nil || current.Config["image"] != sb.Registry+"/sandbox/probe:1" {
		t.Errorf("current release values %v (err %v), want the first image", current.Config, err)
	}
}
