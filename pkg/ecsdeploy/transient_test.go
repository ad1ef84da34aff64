package ecsdeploy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/platformteam/delivery/internal/fake/ecs/scenario"
	"github.com/platformteam/delivery/pkg/ecsdeploy"
	"github.com/platformteam/delivery/pkg/release/api"
)

// flakyECS is the scenario server's client with DescribeServices failing as a throttled or failing
// endpoint does: on chosen calls, or for every call while the clock is inside a window.
type flakyECS struct {
	ecsdeploy.API
	clock *scenario.FakeClock
	// failCalls are the 1-based DescribeServices calls that fail.
	failCalls map[int]bool
	// failFrom/failUntil is a window of fake time in which every call fails.
	failFrom, failUntil time.Time
	// missingFrom answers "MISSING" from this call on (0: never), as for a deleted service.
	missingFrom int
	calls       int
}

var throttled = &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}

func (f *flakyECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, opts ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	f.calls++
	if f.missingFrom > 0 && f.calls >= f.missingFrom {
		return &ecs.DescribeServicesOutput{Failures: []types.Failure{{Reason: aws.String("MISSING")}}}, nil
	}
	now := f.clock.Now()
	if f.failCalls[f.calls] || (!now.Before(f.failFrom) && now.Before(f.failUntil)) {
		return nil, throttled
	}
	return f.API.DescribeServices(ctx, in, opts...)
}

func TestTransientDescribeErrorsAreRetriedWithinTheWait(t *testing.T) {
	r := newRig(t)
	r.server.Queue(scenario.Completes(2, 3*time.Second))
	// Call 1 is the plan; calls 2-4 are the first polls of the wait.
	flaky := &flakyECS{API: r.deployer.API, clock: r.clock, failCalls: map[int]bool{2: true, 3: true, 5: true}}
	r.deployer.API = flaky
	res, err := r.deployer.Deploy(context.Background(), r.request())
	if err != nil {
		t.Fatalf("a few throttled polls must not fail the deploy: %v\n%s", err, r.out)
	}
	if res.Outcome != api.Deployed || r.server.Calls("UpdateService") != 1 {
		t.Fatalf("result %+v, %d updates", res, r.server.Calls("UpdateService"))
	}
	log := r.out.String()
	for _, want := range []string{"reading the service failed (2 in a row), retrying", "ThrottlingException", "works again after 2 failed call(s)"} {
		if !strings.Contains(log, want) {
			t.Fatalf("progress lacks %q:\n%s", want, log)
		}
	}
}

func TestWaitFailingOnErrorsStillRestores(t *testing.T) {
	r := newRig(t)
	r.server.Queue(scenario.Stuck(2))
	start := r.clock.Now()
	// Unreadable from the first poll until 10 s after the 40 s deadline: the wait ends on its timeout,
	// the restore's update goes through, and its wait reads the service again once the window closes.
	flaky := &flakyECS{API: r.deployer.API, clock: r.clock, failFrom: start, failUntil: start.Add(50 * time.Second)}
	r.deployer.API = &planFirst{flaky: flaky}
	req := r.request()
	req.Timeout = 40 * time.Second
	res, err := r.deployer.Deploy(context.Background(), req)
	var failed *api.FailedError
	if !errors.As(err, &failed) || failed.Outcome != api.RolledBack {
		t.Fatalf("want a failed deploy that was rolled back, got %v (%+v)\n%s", err, res, r.out)
	}
	if res.Failure != ecsdeploy.FailureTimeout || !strings.Contains(res.Reason, "ThrottlingException") {
		t.Fatalf("the failure must say the wait timed out on errors: %+v", res)
	}
	if n := r.server.Calls("UpdateService"); n != 2 {
		t.Fatalf("want the deploy's update and the restore's, got %d", n)
	}
	if got := r.server.ServiceTaskDefinition("demo", "demo-app"); got != r.previous {
		t.Fatalf("service runs %s, want the previous %s", got, r.previous)
	}
}

// planFirst lets the plan's DescribeServices through (before the window matters) and fails the rest
// as the flaky fake says.
type planFirst struct {
	flaky *flakyECS
	done  bool
}

func (p *planFirst) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, opts ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	if !p.done {
		p.done = true
		return p.flaky.API.DescribeServices(ctx, in, opts...)
	}
	return p.flaky.DescribeServices(ctx, in, opts...)
}
func (p *planFirst) DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	return p.flaky.API.DescribeTaskDefinition(ctx, in, opts...)
}
func (p *planFirst) RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	return p.flaky.API.RegisterTaskDefinition(ctx, in, opts...)
}
func (p *planFirst) UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, opts ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	return p.flaky.API.UpdateService(ctx, in, opts...)
}
func (p *planFirst) ListTasks(ctx context.Context, in *ecs.ListTasksInput, opts ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	return p.flaky.API.ListTasks(ctx, in, opts...)
}
func (p *planFirst) DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, opts ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	return p.flaky.API.DescribeTasks(ctx, in, opts...)
}
func (p *planFirst) ListTaskDefinitions(ctx context.Context, in *ecs.ListTaskDefinitionsInput, opts ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error) {
	return p.flaky.API.ListTaskDefinitions(ctx, in, opts...)
}
func (p *planFirst) ListServiceDeployments(ctx context.Context, in *ecs.ListServiceDeploymentsInput, opts ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error) {
	return p.flaky.API.ListServiceDeployments(ctx, in, opts...)
}
func (p *planFirst) DescribeServiceDeployments(ctx context.Context, in *ecs.DescribeServiceDeploymentsInput, opts ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error) {
	return p.flaky.API.DescribeServiceDeployments(ctx, in, opts...)
}

func TestServiceGoneDuringTheWaitIsUnobservableAndRestoreIsTried(t *testing.T) {
	r := newRig(t)
	r.server.Queue(scenario.Stuck(2))
	r.deployer.API = &flakyECS{API: r.deployer.API, clock: r.clock, missingFrom: 3}
	res, err := r.deployer.Deploy(context.Background(), r.request())
	var failed *api.FailedError
	if !errors.As(err, &failed) || failed.Outcome == api.RolledBack || failed.RestoreErr == nil {
		t.Fatalf("want a failed deploy whose restore was tried and failed, got %v (%+v)\n%s", err, res, r.out)
	}
	if res.Failure != ecsdeploy.FailureUnobservable || !strings.Contains(res.Reason, "missing") {
		t.Fatalf("result %+v", res)
	}
	if n := r.server.Calls("UpdateService"); n != 2 {
		t.Fatalf("the restore must still be attempted: %d UpdateService calls", n)
	}
}
