package awsseed

import (
	"strings"
	"testing"

	"github.com/platformteam/delivery/pkg/environment"
)

func TestSeededTaskDefinitionIsRealistic(t *testing.T) {
	env := &environment.Environment{Name: "local", AccountID: "123456789012", Region: "ap-southeast-2",
		Image: environment.Image{Repository: "demo-app"},
		ECS:   environment.ECS{Cluster: "demo-local", Service: "demo-app", Container: "app"}}
	n := newSeedNames(env, "127.0.0.1:5000")
	in := taskDefinitionInput(n)
	if *in.Family != "demo-app" || string(in.NetworkMode) != "awsvpc" || len(in.ContainerDefinitions) != 1 {
		t.Fatalf("task definition: family %s, network %s, %d containers", *in.Family, in.NetworkMode, len(in.ContainerDefinitions))
	}
	c := in.ContainerDefinitions[0]
	if *c.Name != "app" || !strings.HasPrefix(*c.Image, "127.0.0.1:5000/demo-app:") {
		t.Errorf("container %s image %s", *c.Name, *c.Image)
	}
	if len(c.Secrets) != 1 || *c.Secrets[0].ValueFrom != "arn:aws:ssm:ap-southeast-2:123456789012:parameter/demo-app/local/api-token" {
		t.Errorf("secrets = %+v", c.Secrets)
	}
	if *in.ExecutionRoleArn != "arn:aws:iam::123456789012:role/demo-app-local-ecs-execution" || in.TaskRoleArn == nil {
		t.Errorf("roles = %s / %v", *in.ExecutionRoleArn, in.TaskRoleArn)
	}
	if c.LogConfiguration == nil || c.LogConfiguration.Options["awslogs-group"] != "/ecs/demo-app-local" {
		t.Errorf("log configuration = %+v", c.LogConfiguration)
	}
	if StateBucketName("123456789012", "ap-southeast-2") != "tf-state-123456789012-ap-southeast-2" {
		t.Error("state bucket name does not follow tf-state-<account>-<region>")
	}
}

func TestKubeMinorVersion(t *testing.T) {
	if kubeMinorVersion("v1.37.2") != "1.37" {
		t.Errorf("kubeMinorVersion = %s", kubeMinorVersion("v1.37.2"))
	}
}
