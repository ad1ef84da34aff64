// Package ecsdeploy deploys one image digest to an ECS service with exact semantics: a new task
// definition revision derived from the live one, update-service, and a wait that only succeeds when the
// NEW task definition's deployment is PRIMARY, COMPLETED and fully running. A circuit-breaker or alarm
// rollback, a replaced deployment or a timeout is a failure, after which the previous task definition is
// restored explicitly unless the caller opts out.
package ecsdeploy

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// API is the part of the ECS API the release engine uses (satisfied by *ecs.Client).
type API interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, optFns ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
	ListTaskDefinitions(ctx context.Context, in *ecs.ListTaskDefinitionsInput, optFns ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error)
	// The service deployments a blue/green, linear or canary deploy follows.
	ListServiceDeployments(ctx context.Context, in *ecs.ListServiceDeploymentsInput, optFns ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error)
	DescribeServiceDeployments(ctx context.Context, in *ecs.DescribeServiceDeploymentsInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error)
	// ListTasks and DescribeTasks read the stopped tasks of a failed rollout (its diagnosis).
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, optFns ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
}

// Clock is the time source of the rollout wait; tests and the scenario server share a fake one.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends.
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx ends.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Polling is the adaptive poll schedule: Min after every change of state, growing by Factor while
// nothing changes, never above Max.
type Polling struct {
	Min    time.Duration
	Max    time.Duration
	Factor float64
}

// DefaultPolling starts at 1 s and caps at 2.5 s: a deployment that completes after a long quiet spell
// is noticed at most 2.5 s (plus one call) late, within the 3 s target.
var DefaultPolling = Polling{Min: time.Second, Max: 2500 * time.Millisecond, Factor: 1.5}

func (p Polling) next(cur time.Duration, changed bool) time.Duration {
	if p.Min <= 0 {
		p = DefaultPolling
	}
	if changed || cur <= 0 {
		return p.Min
	}
	n := time.Duration(float64(cur) * p.Factor)
	if n > p.Max {
		n = p.Max
	}
	return n
}
