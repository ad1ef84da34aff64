package charts

import (
	"context"
	"strings"
	"testing"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/helmdeploy"
)

// TestReleaseEngineRendersEveryEnvironment renders the chart the way the release engine deploys it:
// each environment's delivery.yaml values files, then the engine's image values (repository, digest,
// tag, pullPolicy Always, buildVersion, DEPLOY_PLATFORM=eks) on top.
func TestReleaseEngineRendersEveryEnvironment(t *testing.T) {
	names, err := environment.Names("..")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 4 {
		t.Fatalf("environments %v: want local, development, staging, production", names)
	}
	const digest = "sha256:4d2c1f0e9b8a7c6d5e4f30211a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b"
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			env, err := environment.Load("..", name)
			if err != nil {
				t.Fatal(err)
			}
			files := make([]string, len(env.EKS.ValuesFiles))
			for i, f := range env.EKS.ValuesFiles {
				files[i] = env.Path(f)
			}
			repo := "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/" + env.Image.Repository
			img, err := artifact.ParsePinned(repo + ":0a1b2c3@" + digest)
			if err != nil {
				t.Fatal(err)
			}
			vals, err := helmdeploy.ComposeValues(files, helmdeploy.ImageValues{Image: img, BuildVersion: "0a1b2c3"})
			if err != nil {
				t.Fatal(err)
			}
			ch, err := helmdeploy.LoadChart(env.Path(env.EKS.Chart))
			if err != nil {
				t.Fatal(err)
			}
			manifest, err := helmdeploy.Render(context.Background(), ch, vals, env.EKS.Release, env.EKS.Namespace)
			if err != nil {
				t.Fatal(err)
			}
			r := decode(t, map[string]string{"manifest.yaml": manifest})
			commonInvariants(t, r)
			c := appContainer(t, r)
			if c.Image != repo+"@"+digest || c.ImagePullPolicy != "Always" {
				t.Fatalf("image %s (%s), want %s@%s (Always)", c.Image, c.ImagePullPolicy, repo, digest)
			}
			if r.deployment.Name != env.EKS.Release || !strings.Contains(manifest, "demo-app/build-version: \"0a1b2c3\"") {
				t.Fatalf("deployment %s / build annotation missing", r.deployment.Name)
			}
		})
	}
}
