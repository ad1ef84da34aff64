package release

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/environment"
)

const digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func testEnv(name, account string) *environment.Environment {
	return &environment.Environment{Name: name, AccountID: account, Region: "ap-southeast-2", Root: "../..",
		Image: environment.Image{Repository: "demo-app"},
		ECS:   environment.ECS{Cluster: "demo", Service: "demo-app", Container: "app", Timeout: environment.Duration{Duration: 10 * time.Minute}},
		EKS: environment.EKS{Cluster: "demo", Namespace: "demo", Release: "demo-app", Chart: "pkg/helmdeploy/testdata/chart",
			ValuesFiles: []string{"pkg/helmdeploy/testdata/chart/values-test.yaml"}, Timeout: environment.Duration{Duration: 5 * time.Minute}}}
}

func testArtifact(t testing.TB, repository, digest string) *artifact.Artifact {
	t.Helper()
	img, err := artifact.NewPinned(repository, digest)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := artifact.ParseCommit("abc1234")
	a, err := artifact.New(c, img, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRegistryHostFollowsTheResolvedEnvironment(t *testing.T) {
	env := testEnv("staging", "222222222222")
	if got := Repository(env); got != "222222222222.dkr.ecr.ap-southeast-2.amazonaws.com/demo-app" {
		t.Fatalf("repository %s", got)
	}
	env.Region = "eu-west-1" // --region
	if got := RegistryHost(env); got != "222222222222.dkr.ecr.eu-west-1.amazonaws.com" {
		t.Fatalf("a region override must reach the registry: %s", got)
	}
	env.Region = "cn-north-1"
	if got := RegistryHost(env); !strings.HasSuffix(got, ".amazonaws.com.cn") {
		t.Fatalf("China regions: %s", got)
	}
	env.Endpoints.Registry = "127.0.0.1:5000"
	if got := Repository(env); got != "127.0.0.1:5000/demo-app" {
		t.Fatalf("the sandbox registry: %s", got)
	}
}

func TestForBuildsTheRequestsFromEnvironmentAndArtifact(t *testing.T) {
	env := testEnv("staging", "222222222222")
	art := testArtifact(t, Repository(env), digestA)
	p, err := For(env, art, Options{EKSTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if p.Source != nil || p.Artifact != art {
		t.Fatal("an artifact of the environment's own repository is deployed as is")
	}
	if p.ECS.Cluster != "demo" || p.ECS.Container != "app" || p.ECS.Image.String() != art.Ref() || p.ECS.Timeout != 10*time.Minute {
		t.Fatalf("ECS request %+v", p.ECS)
	}
	if p.EKS.Release != "demo-app" || p.EKS.Timeout != time.Minute || p.EKS.Image.Image.Tag() != "abc1234" ||
		!strings.HasSuffix(p.EKS.Chart, "pkg/helmdeploy/testdata/chart") || len(p.EKS.ValuesFiles) != 1 {
		t.Fatalf("EKS request %+v", p.EKS)
	}
	prepared, err := p.PrepareEKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(prepared.Manifest, art.Ref()) {
		t.Fatalf("the rendered manifest must pin the artifact's digest:\n%s", prepared.Manifest)
	}
}

func TestForRefusesAnImageOutsideTheRepositoryUnlessPromoting(t *testing.T) {
	prod := testEnv("production", "333333333333")
	staging := testArtifact(t, "222222222222.dkr.ecr.ap-southeast-2.amazonaws.com/demo-app", digestA)
	_, err := For(prod, staging, Options{})
	if !errors.Is(err, ErrOutsideRepository) {
		t.Fatalf("want ErrOutsideRepository, got %v", err)
	}
	for _, want := range []string{staging.Ref(), "333333333333.dkr.ecr.ap-southeast-2.amazonaws.com/demo-app", "production", "promote"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal must name %q: %v", want, err)
		}
	}
	other := testArtifact(t, "333333333333.dkr.ecr.ap-southeast-2.amazonaws.com/other-app", digestA)
	if _, err := For(prod, other, Options{}); !errors.Is(err, ErrOutsideRepository) {
		t.Fatalf("another repository of the same registry is outside too: %v", err)
	}
	p, err := For(prod, staging, Options{Promote: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Source != staging || p.Artifact.Repository() != Repository(prod) || p.Artifact.Digest() != staging.Digest() || p.ECS.Image.Digest() != staging.Digest() {
		t.Fatalf("a promotion deploys the same digest from the environment's repository: %+v", p.Artifact)
	}
	if _, err := For(prod, nil, Options{}); err == nil || !strings.Contains(err.Error(), "--artifact") {
		t.Fatalf("no artifact: %v", err)
	}
}

func TestPrepareEKSFailsOnABrokenChartBeforeTheCluster(t *testing.T) {
	env := testEnv("staging", "222222222222")
	env.EKS.ValuesFiles = []string{"nope/values.yaml"}
	p, err := For(env, testArtifact(t, Repository(env), digestA), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PrepareEKS(context.Background()); err == nil || !strings.Contains(err.Error(), "values_files") {
		t.Fatalf("a missing values file fails before any cluster access: %v", err)
	}
}

func TestECSStrategyFromDeliveryYAML(t *testing.T) {
	if s := ECSStrategy(environment.ECSDeployment{}); s != nil {
		t.Fatalf("no ecs.deployment must keep the service's own configuration, got %+v", s)
	}
	two, one := 2, 1
	d := environment.ECSDeployment{Strategy: environment.StrategyLinear, StepPercent: 20, StepIntervalMinutes: &one, BakeTimeMinutes: &two,
		Alarms: []string{"a"}, LoadBalancer: environment.ECSLoadBalancer{TargetGroup: "tg1", AlternateTargetGroup: "tg2", ProductionListenerRule: "r", TestListenerRule: "t", RoleARN: "role"},
		Hooks: []environment.ECSHook{{Stages: []string{"PRE_SCALE_UP"}, Lambda: "fn", RoleARN: "hr"}}}
	s := ECSStrategy(d)
	if s == nil || s.Kind != "LINEAR" || s.StepPercent != 20 || *s.StepIntervalMinutes != 1 || *s.BakeTimeMinutes != 2 || s.Alarms[0] != "a" ||
		s.TargetGroup != "tg1" || s.AlternateTargetGroup != "tg2" || s.ProductionListenerRule != "r" || s.TestListenerRule != "t" || s.RoleARN != "role" ||
		len(s.Hooks) != 1 || s.Hooks[0].Lambda != "fn" || s.Hooks[0].RoleARN != "hr" {
		t.Fatalf("strategy %+v", s)
	}
	if s := ECSStrategy(environment.ECSDeployment{Alarms: []string{"a"}}); s == nil || s.Kind != "ROLLING" {
		t.Fatalf("alarms alone are a rolling strategy with alarms, got %+v", s)
	}
}
