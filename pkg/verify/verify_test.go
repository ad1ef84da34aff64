package verify

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/release/api"
)

const (
	repo  = "127.0.0.1:5000/demo-app"
	want  = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	other = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

type fakeECS struct {
	tasks   []types.Task
	image   string
	desired int32
}

func (f fakeECS) DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	return &ecs.DescribeServicesOutput{Services: []types.Service{{TaskDefinition: aws.String("td:2"), DesiredCount: f.desired}}}, nil
}
func (f fakeECS) ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	var arns []string
	for _, t := range f.tasks {
		arns = append(arns, aws.ToString(t.TaskArn))
	}
	return &ecs.ListTasksOutput{TaskArns: arns}, nil
}
func (f fakeECS) DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	return &ecs.DescribeTasksOutput{Tasks: f.tasks}, nil
}
func (f fakeECS) DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &types.TaskDefinition{ContainerDefinitions: []types.ContainerDefinition{
		{Name: aws.String("app"), Image: aws.String(f.image)}, {Name: aws.String("sidecar"), Image: aws.String("envoy:1")}}}}, nil
}

func task(arn, digest string) types.Task {
	c := types.Container{Name: aws.String("app"), Image: aws.String(repo + "@" + want)}
	if digest != "" {
		c.ImageDigest = aws.String(digest)
	}
	return types.Task{TaskArn: aws.String(arn), TaskDefinitionArn: aws.String("td:2"), Containers: []types.Container{c}}
}

func TestECSUsesTaskDigestThenFallsBack(t *testing.T) {
	client := fakeECS{image: repo + "@" + want, desired: 2, tasks: []types.Task{task("t1", want), task("t2", "")}}
	r, err := ECS(context.Background(), client, "demo", "demo-app", "", pin(repo, want))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Checks) != 2 || r.Checks[0].Source != api.SourceTaskDigest || r.Checks[1].Source != api.SourceTaskDefinition || r.Fallbacks != 1 {
		t.Fatalf("checks %+v", r.Checks)
	}
	if err := r.Err(false); err != nil {
		t.Fatalf("all match: %v", err)
	}
	if err := r.Err(true); err == nil || !strings.Contains(err.Error(), "--strict") {
		t.Fatalf("strict must refuse fallbacks, got %v", err)
	}
}

func TestECSReportsMismatch(t *testing.T) {
	client := fakeECS{image: repo + "@" + want, desired: 1, tasks: []types.Task{task("t1", other)}}
	r, _ := ECS(context.Background(), client, "demo", "demo-app", "app", pin(repo, want))
	err := r.Err(false)
	if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "t1 container app runs "+other) {
		t.Fatalf("want mismatch naming the task, got %v", err)
	}
}

func TestECSWithoutTasksChecksServiceTaskDefinition(t *testing.T) {
	r, err := ECS(context.Background(), fakeECS{image: repo + "@" + other, desired: 2}, "demo", "demo-app", "", pin(repo, want))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Checks) != 1 || r.Checks[0].Source != api.SourceServiceTaskDef || r.Checks[0].OK {
		t.Fatalf("checks %+v", r.Checks)
	}
	r, _ = ECS(context.Background(), fakeECS{image: repo + "@" + want}, "demo", "demo-app", "", pin(repo, want))
	if err := r.Err(false); err == nil || !strings.Contains(err.Error(), "desired count 0") {
		t.Fatalf("no tasks at all must fail, got %v", err)
	}
}

func pod(name, image, imageID string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "demo", Labels: map[string]string{"app.kubernetes.io/instance": "demo-app"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
		Status:     corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "app", ImageID: imageID}}},
	}
}

func TestPodsImageIDThenSpec(t *testing.T) {
	cs := fake.NewSimpleClientset(
		pod("a", repo+"@"+want, "docker-pullable://"+repo+"@"+want),
		pod("b", repo+"@"+want, ""),
		pod("c", repo+"@"+other, ""),
	)
	r, err := Pods(context.Background(), cs, "demo", ReleaseSelector("demo-app"), pin(repo, want))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Checks) != 3 || r.Mismatches != 1 || r.Fallbacks != 2 {
		t.Fatalf("report %+v", r)
	}
	if err := r.Err(false); err == nil || !strings.Contains(err.Error(), "demo/c") {
		t.Fatalf("want mismatch on pod c, got %v", err)
	}
	empty, _ := Pods(context.Background(), fake.NewSimpleClientset(), "demo", ReleaseSelector("demo-app"), pin(repo, want))
	if err := empty.Err(false); err == nil || !strings.Contains(err.Error(), "no pods") {
		t.Fatalf("no pods must fail, got %v", err)
	}
}

func pin(repository, digest string) artifact.Pinned {
	p, err := artifact.NewPinned(repository, digest)
	if err != nil {
		panic(err)
	}
	return p
}
