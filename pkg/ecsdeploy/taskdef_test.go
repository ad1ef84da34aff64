package ecsdeploy

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/platformteam/delivery/pkg/artifact"
)

const (
	imgA = "127.0.0.1:5000/demo-app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	imgB = "127.0.0.1:5000/demo-app@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func liveTaskDefinition() *types.TaskDefinition {
	now := time.Now()
	return &types.TaskDefinition{
		TaskDefinitionArn: aws.String("arn:aws:ecs:ap-southeast-2:123456789012:task-definition/demo-app:4"),
		Family:            aws.String("demo-app"), Revision: 4, Status: types.TaskDefinitionStatusActive,
		RegisteredAt: &now, RegisteredBy: aws.String("arn:aws:iam::123456789012:role/ci"),
		RequiresAttributes: []types.Attribute{{Name: aws.String("com.amazonaws.ecs.capability.logging-driver.awslogs")}},
		Compatibilities:    []types.Compatibility{types.CompatibilityFargate, types.CompatibilityEc2},
		Cpu:                aws.String("256"), Memory: aws.String("512"), NetworkMode: types.NetworkModeAwsvpc,
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/exec"), TaskRoleArn: aws.String("arn:aws:iam::123456789012:role/task"),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		ContainerDefinitions: []types.ContainerDefinition{
			{Name: aws.String("app"), Image: aws.String(imgA), Essential: aws.Bool(true),
				Environment: []types.KeyValuePair{{Name: aws.String("APP_ENV"), Value: aws.String("staging")}},
				Secrets:     []types.Secret{{Name: aws.String("APP_AUTH_SECRET"), ValueFrom: aws.String("arn:aws:ssm:ap-southeast-2:123456789012:parameter/x")}},
				LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs,
					Options: map[string]string{"awslogs-group": "/ecs/demo-app"}}},
			{Name: aws.String("sidecar"), Image: aws.String("envoy:1")},
		},
	}
}

func TestNextRevisionReplacesOnlyImageAndPlatform(t *testing.T) {
	tags := []types.Tag{{Key: aws.String("App"), Value: aws.String("demo-app")}}
	in, name, err := NextRevision(liveTaskDefinition(), tags, "", pin(t, imgB))
	if err != nil {
		t.Fatal(err)
	}
	if name != "app" {
		t.Fatalf("default container %q, want the first", name)
	}
	app := in.ContainerDefinitions[0]
	if aws.ToString(app.Image) != imgB || aws.ToString(in.ContainerDefinitions[1].Image) != "envoy:1" {
		t.Fatalf("images %s / %s", aws.ToString(app.Image), aws.ToString(in.ContainerDefinitions[1].Image))
	}
	env := map[string]string{}
	for _, kv := range app.Environment {
		env[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
	}
	if env["DEPLOY_PLATFORM"] != "ecs" || env["APP_ENV"] != "staging" || len(env) != 2 {
		t.Fatalf("environment %v", env)
	}
	if aws.ToString(app.Secrets[0].ValueFrom) != "arn:aws:ssm:ap-southeast-2:123456789012:parameter/x" ||
		app.LogConfiguration.Options["awslogs-group"] != "/ecs/demo-app" ||
		aws.ToString(in.ExecutionRoleArn) != "arn:aws:iam::123456789012:role/exec" || aws.ToString(in.TaskRoleArn) != "arn:aws:iam::123456789012:role/task" ||
		aws.ToString(in.Cpu) != "256" || in.NetworkMode != types.NetworkModeAwsvpc || aws.ToString(in.Tags[0].Key) != "App" {
		t.Fatalf("kept fields changed: %+v", in)
	}
	raw, _ := json.Marshal(in)
	for _, readOnly := range []string{"TaskDefinitionArn", "Revision", "Status", "RequiresAttributes", "\"Compatibilities\"", "RegisteredAt", "RegisteredBy"} {
		if strings.Contains(string(raw), readOnly) {
			t.Fatalf("read-only field %s survived: %s", readOnly, raw)
		}
	}
	// The live definition is not modified.
	if aws.ToString(liveTaskDefinition().ContainerDefinitions[0].Image) != imgA {
		t.Fatal("live definition mutated")
	}
}

func TestNextRevisionNamedContainerAndErrors(t *testing.T) {
	in, name, err := NextRevision(liveTaskDefinition(), nil, "sidecar", pin(t, imgB))
	if err != nil || name != "sidecar" || aws.ToString(in.ContainerDefinitions[1].Image) != imgB || aws.ToString(in.ContainerDefinitions[0].Image) != imgA {
		t.Fatalf("named container: %v", err)
	}
	if _, _, err := NextRevision(liveTaskDefinition(), nil, "web", pin(t, imgB)); err == nil || !strings.Contains(err.Error(), "containers: app, sidecar") {
		t.Fatalf("want unknown container listing names, got %v", err)
	}
	if _, _, err := NextRevision(liveTaskDefinition(), nil, "", artifact.Pinned{}); err == nil || !strings.Contains(err.Error(), "pinned by digest") {
		t.Fatalf("want unpinned error, got %v", err)
	}
}

func TestSetVariableReplacesDuplicates(t *testing.T) {
	env := []types.KeyValuePair{
		{Name: aws.String("DEPLOY_PLATFORM"), Value: aws.String("x")}, {Name: aws.String("A"), Value: aws.String("1")},
		{Name: aws.String("DEPLOY_PLATFORM"), Value: aws.String("y")},
	}
	got := setVariable(env, "DEPLOY_PLATFORM", "ecs")
	if len(got) != 2 || aws.ToString(got[0].Value) != "ecs" || aws.ToString(got[1].Name) != "A" {
		t.Fatalf("%+v", got)
	}
}

func TestDiffMatchesNamedElementsNotPositions(t *testing.T) {
	a, _ := RegistrationFrom(liveTaskDefinition(), nil)
	b, _ := RegistrationFrom(liveTaskDefinition(), nil)
	b.ContainerDefinitions[0], b.ContainerDefinitions[1] = b.ContainerDefinitions[1], b.ContainerDefinitions[0]
	if changes, _ := Diff(a, b); len(changes) != 0 {
		t.Fatalf("reordering reported as change: %v", changes)
	}
	b.ContainerDefinitions[1].Secrets = nil
	b.Memory = aws.String("1024")
	changes, _ := Diff(a, b)
	var got []string
	for _, c := range changes {
		got = append(got, c.String())
	}
	want := []string{
		`- containerDefinitions[app].secrets[APP_AUTH_SECRET]: {"name":"APP_AUTH_SECRET","valueFrom":"arn:aws:ssm:ap-southeast-2:123456789012:parameter/x"}`,
		`~ memory: "512" → "1024"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("diff:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPollingAdaptsAndCaps(t *testing.T) {
	p := DefaultPolling
	var seq []time.Duration
	cur := time.Duration(0)
	for i := 0; i < 7; i++ {
		cur = p.next(cur, false)
		seq = append(seq, cur)
	}
	if seq[0] != time.Second || seq[len(seq)-1] != p.Max || p.Max > 3*time.Second {
		t.Fatalf("schedule %v", seq)
	}
	for i := 1; i < len(seq); i++ {
		if seq[i] < seq[i-1] || seq[i] > p.Max {
			t.Fatalf("schedule %v not monotonic/capped", seq)
		}
	}
	if p.next(p.Max, true) != time.Second {
		t.Fatal("a change of state must reset polling to the minimum")
	}
}

func pin(t testing.TB, ref string) artifact.Pinned {
	t.Helper()
	p, err := artifact.ParsePinned(ref)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
