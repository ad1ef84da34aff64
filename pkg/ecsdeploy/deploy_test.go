package ecsdeploy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/platformteam/delivery/internal/fake/ecs/scenario"
	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/ecsdeploy"
	"github.com/platformteam/delivery/pkg/release/api"
)

const (
	oldImage = "127.0.0.1:5000/demo-app@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	newImage = "127.0.0.1:5000/demo-app@sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

const seedTaskDefinition = `{
  "family": "demo-app",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256", "memory": "512",
  "executionRoleArn": "arn:aws:iam::123456789012:role/demo-exec",
  "taskRoleArn": "arn:aws:iam::123456789012:role/demo-task",
  "containerDefinitions": [
    {"name": "log-router", "image": "fluent-bit:1", "essential": false},
    {"name": "app", "image": "` + oldImage + `", "essential": true,
     "portMappings": [{"containerPort": 3000}],
     "environment": [{"name": "APP_ENV", "value": "staging"}, {"name": "DEPLOY_PLATFORM", "value": "unknown"}],
     "secrets": [{"name": "APP_AUTH_SECRET", "valueFrom": "arn:aws:ssm:ap-southeast-2:123456789012:parameter/demo/staging/app/APP_AUTH_SECRET"}],
     "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/demo-app", "awslogs-region": "ap-southeast-2", "awslogs-stream-prefix": "app"}}}
  ]
}`

type rig struct {
	server   *scenario.Server
	clock    *scenario.FakeClock
	deployer *ecsdeploy.Deployer
	out      *strings.Builder
	previous string
}

func newRig(t *testing.T) *rig {
	t.Helper()
	clock := scenario.NewFakeClock()
	srv := scenario.New(clock)
	t.Cleanup(srv.Close)
	prev, err := srv.Seed("demo", "demo-app", 2, seedTaskDefinition)
	if err != nil {
		t.Fatal(err)
	}
	out := &strings.Builder{}
	client := ecs.NewFromConfig(aws.Config{
		Region: scenario.Region, BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	return &rig{server: srv, clock: clock, out: out, previous: prev,
		deployer: &ecsdeploy.Deployer{API: client, Clock: clock, Out: out}}
}

func (r *rig) request() ecsdeploy.Request {
	return ecsdeploy.Request{Cluster: "demo", Service: "demo-app", Container: "app", Image: pinned(newImage), Timeout: 2 * time.Minute}
}

func TestDeployWaitsForNewDeploymentToComplete(t *testing.T) {
	r := newRig(t)
	r.server.Queue(scenario.Completes(2, 3*time.Second))
	res, err := r.deployer.Deploy(context.Background(), r.request())
	if err != nil {
		t.Fatalf("deploy: %v\n%s", err, r.out)
	}
	if res.Outcome != api.Deployed || res.PreviousTaskDefinition != r.previous || !strings.HasSuffix(res.TaskDefinition, "task-definition/demo-app:2") {
		t.Fatalf("result %+v", res)
	}
	if got := r.server.ServiceTaskDefinition("demo", "demo-app"); got != res.TaskDefinition {
		t.Fatalf("service runs %s, want %s", got, res.TaskDefinition)
	}
	log := r.out.String()
	for _, want := range []string{
		"~ containerDefinitions[app].image: \"" + oldImage + "\" → \"" + newImage + "\"",
		"~ containerDefinitions[app].environment[DEPLOY_PLATFORM].value: \"unknown\" → \"ecs\"",
		"task definition demo-app:1 → demo-app:2",
		"running 1/2", "running 2/2", "COMPLETED", "event: (service demo-app) has reached a steady state.",
	} {
		if !strings.Contains(log, want) {
			t.Fatalf("progress lacks %q:\n%s", want, log)
		}
	}
	// One progress line per change of state: no two consecutive state lines are equal.
	var last string
	for _, line := range strings.Split(log, "\n") {
		if i := strings.Index(line, "] "); strings.HasPrefix(strings.TrimSpace(line), "[") && i > 0 {
			state := line[i+2:]
			if state == last {
				t.Fatalf("state printed twice in a row: %q\n%s", state, log)
			}
			last = state
		}
	}
	// The rollout completed 9 s after the update (3 s per step); polling starts at 1 s and backs off
	// only while nothing changes, so the deploy notices within the 2.5 s cap and well before 15 s.
	if res.Seconds > 9+5 || res.Seconds < 9 {
		t.Fatalf("deploy returned %.1fs after start, want within the poll cap after completion at 9 s", res.Seconds)
	}
}

func TestDeployCircuitBreakerRollbackIsAFailureAndRestores(t *testing.T) {
	r := newRig(t)
	r.server.Queue(scenario.BreakerTrips(2, 30*time.Second))
	res, err := r.deployer.Deploy(context.Background(), r.request())
	var failed *api.FailedError
	if !errors.As(err, &failed) || !failed.RolledBack() {
		t.Fatalf("want FailedError rolled back, got %v\n%s", err, r.out)
	}
	if res.Outcome != api.RolledBack || res.Failure != ecsdeploy.FailureCircuitBreaker || res.RunningTaskDefinition != r.previous {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(err.Error(), "circuit breaker") || !strings.Contains(err.Error(), "rolled back: task definition demo-app:1") {
		t.Fatalf("error does not say what happened: %v", err)
	}
	if got := r.server.ServiceTaskDefinition("demo", "demo-app"); got != r.previous {
		t.Fatalf("service runs %s, want previous %s", got, r.previous)
	}
	if n := r.server.Calls("UpdateService"); n != 2 {
		t.Fatalf("want the deploy's update plus an explicit restore, got %d UpdateService calls", n)
	}
}

func TestDeployNoRollbackLeavesServiceAsECSLeftIt(t *testing.T) {
	r := newRig(t)
	r.server.Queue(scenario.BreakerTrips(2, 20*time.Second))
	req := r.request()
	req.NoRollback = true
	res, err := r.deployer.Deploy(context.Background(), req)
	var failed *api.FailedError
	if !errors.As(err, &failed) || failed.RolledBack() {
		t.Fatalf("want FailedError not rolled back, got %v", err)
	}
	if res.Outcome != api.Failed || r.server.Calls("UpdateService") != 1 {
		t.Fatalf("outcome %s, %d updates", res.Outcome, r.server.Calls("UpdateService"))
	}
	if !strings.Contains(err.Error(), "NOT rolled back") {
		t.Fatalf("error %v", err)
	}
}

func TestDeployTimeoutRestoresPrevious(t *testing.T) {
	r := newRig(t)
	r.server.Queue(scenario.Stuck(2))
	req := r.request()
	req.Timeout = 40 * time.Second
	res, err := r.deployer.Deploy(context.Background(), req)
	var failed *api.FailedError
	if !errors.As(err, &failed) || !failed.RolledBack() || res.Failure != ecsdeploy.FailureTimeout {
		t.Fatalf("want timeout rolled back, got %v (%+v)", err, res)
	}
	if got := r.server.ServiceTaskDefinition("demo", "demo-app"); got != r.previous {
		t.Fatalf("service runs %s, want %s", got, r.previous)
	}
	if !strings.Contains(r.out.String(), "still demo-app:2 PRIMARY IN_PROGRESS") || !strings.Contains(r.out.String(), "s left)") {
		t.Fatalf("a long unchanged wait must print a heartbeat:\n%s", r.out)
	}
	// 40 s at ≤2.5 s per poll, starting at 1 s: at least 16 polls, and far fewer than 1 s polling would make.
	if res.Polls < 9 || res.Polls > 25 {
		t.Fatalf("polls %d out of the adaptive range", res.Polls)
	}
}

func TestDeployRejectsBadInputBeforeAnyMutation(t *testing.T) {
	cases := map[string]struct {
		mutate func(*ecsdeploy.Request)
		want   string
	}{
		"unknown service":   {func(r *ecsdeploy.Request) { r.Service = "nope" }, "service nope in cluster demo: missing"},
		"unknown container": {func(r *ecsdeploy.Request) { r.Container = "web" }, `container "web" not found`},
		"unpinned image":    {func(r *ecsdeploy.Request) { r.Image = artifact.Pinned{} }, "pinned by digest"},
		"no cluster":        {func(r *ecsdeploy.Request) { r.Cluster = "" }, "cluster is required"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := newRig(t)
			req := r.request()
			tc.mutate(&req)
			_, err := r.deployer.Deploy(context.Background(), req)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want %q, got %v", tc.want, err)
			}
			if r.server.Calls("RegisterTaskDefinition") != 0 || r.server.Calls("UpdateService") != 0 {
				t.Fatal("bad input must fail before any mutation")
			}
		})
	}
}

func TestDeploySameImageRegistersNothing(t *testing.T) {
	r := newRig(t)
	if _, err := r.deployer.Deploy(context.Background(), r.request()); err != nil {
		t.Fatal(err)
	}
	res, err := r.deployer.Deploy(context.Background(), r.request())
	if err != nil || res.Outcome != api.Unchanged {
		t.Fatalf("second deploy: %v %+v", err, res)
	}
	if n := r.server.Calls("RegisterTaskDefinition"); n != 1 {
		t.Fatalf("registered %d times", n)
	}
}

func TestRollbackToPreviousAndNamedRevision(t *testing.T) {
	r := newRig(t)
	first, err := r.deployer.Deploy(context.Background(), r.request())
	if err != nil {
		t.Fatal(err)
	}
	req := r.request()
	req.Image = pinned(strings.Replace(newImage, "2222", "3333", 1))
	if _, err := r.deployer.Deploy(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	back, err := r.deployer.Rollback(context.Background(), ecsdeploy.RollbackRequest{Cluster: "demo", Service: "demo-app", Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if back.To != first.TaskDefinition || back.Image != "fluent-bit:1" && !strings.HasSuffix(back.From, ":3") {
		t.Fatalf("rollback %+v, want to %s", back, first.TaskDefinition)
	}
	named, err := r.deployer.Rollback(context.Background(), ecsdeploy.RollbackRequest{Cluster: "demo", Service: "demo-app", To: "1", Timeout: time.Minute})
	if err != nil || named.To != r.previous {
		t.Fatalf("named rollback: %v %+v", err, named)
	}
	updates := r.server.Calls("UpdateService")
	if _, err := r.deployer.Rollback(context.Background(), ecsdeploy.RollbackRequest{Cluster: "demo", Service: "demo-app", To: "9", Timeout: time.Minute}); err == nil || !strings.Contains(err.Error(), "rollback target demo-app:9") {
		t.Fatalf("want unknown-revision error, got %v", err)
	}
	if _, err := r.deployer.Rollback(context.Background(), ecsdeploy.RollbackRequest{Cluster: "demo", Service: "demo-app", Timeout: time.Minute}); err == nil || !strings.Contains(err.Error(), "no ACTIVE revision below 1") {
		t.Fatalf("want nothing-below error, got %v", err)
	}
	if r.server.Calls("UpdateService") != updates {
		t.Fatal("a bad rollback target must not update the service")
	}
}

// cancellingClock cancels the deploy's context after a few polls, as a cancelled CI job would.
type cancellingClock struct {
	*scenario.FakeClock
	cancel func()
	sleeps int
}

func (c *cancellingClock) Sleep(ctx context.Context, d time.Duration) error {
	c.sleeps++
	if c.sleeps == 3 {
		c.cancel()
	}
	return c.FakeClock.Sleep(ctx, d)
}

func TestDeployInterruptedStillRestores(t *testing.T) {
	r := newRig(t)
	r.server.Queue(scenario.Stuck(2))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.deployer.Clock = &cancellingClock{FakeClock: r.clock, cancel: cancel}
	res, err := r.deployer.Deploy(ctx, r.request())
	var failed *api.FailedError
	if !errors.As(err, &failed) || !failed.RolledBack() || res.Failure != ecsdeploy.FailureInterrupted {
		t.Fatalf("want interrupted + restored, got %v (%+v)\n%s", err, res, r.out)
	}
	if got := r.server.ServiceTaskDefinition("demo", "demo-app"); got != r.previous {
		t.Fatalf("service runs %s, want %s", got, r.previous)
	}
}

// pinned parses a reference the tests spell out (a bad one is a bug in the test).
func pinned(ref string) artifact.Pinned {
	p, err := artifact.ParsePinned(ref)
	if err != nil {
		panic(err)
	}
	return p
}
