package ecsdeploy_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/platformteam/delivery/internal/fake/ecs/scenario"
	"github.com/platformteam/delivery/pkg/ecsdeploy"
)

// rolloutWithQuietGap is a rollout whose tasks are all running after 2 s, then nothing visible changes
// for gap until ECS marks it COMPLETED (old tasks draining behind a load balancer look like that).
func rolloutWithQuietGap(gap time.Duration) scenario.Script {
	return scenario.Script{
		{After: 0, Pending: 2, Rollout: "IN_PROGRESS"},
		{After: time.Second, Running: 1, Pending: 1, Rollout: "IN_PROGRESS"},
		{After: 2 * time.Second, Running: 2, Rollout: "IN_PROGRESS"},
		{After: 2*time.Second + gap, Running: 2, Rollout: "COMPLETED", Event: "has reached a steady state."},
	}
}

// rolloutFailingAfterGap is a rollout whose tasks fail to start; after gap the circuit breaker marks
// it FAILED and rolls the service back to the previous task definition.
func rolloutFailingAfterGap(gap time.Duration) scenario.Script {
	return scenario.Script{
		{After: 0, Pending: 2, Rollout: "IN_PROGRESS"},
		{After: time.Second, Pending: 2, Failed: 1, Rollout: "IN_PROGRESS", Event: "deployment failed: tasks failed to start"},
		{After: 2*time.Second + gap, Failed: 3, Rollout: "FAILED", BreakerRollback: true,
			Reason: "ECS deployment circuit breaker: tasks failed to start.", Event: "rolling back to the previous deployment (circuit breaker)"},
	}
}

// sdkWaiterCap bounds the SDK waiter on a FAILED rollout: ServicesStable does not know FAILED and waits
// while the failed deployment is listed (the AWS CLI's `ecs wait services-stable` is the same waiter,
// 15 s between polls).
const sdkWaiterCap = 40 * time.Second

// BenchmarkRolloutDetection measures, on the wall clock against the ECS scenario server, the time from
// the service deployment reaching a terminal state (COMPLETED, or FAILED by the circuit breaker) to the
// call returning: this engine's deploy (adaptive 1 s → 2.5 s polling; a FAILED one with --no-rollback,
// so the time is the detection and the diagnosis, not the restore's own rollout) versus the SDK's
// ServicesStable waiter (15 s minimum delay, as the AWS CLI waiter). Run with -benchtime=1x; prints a table.
func BenchmarkRolloutDetection(b *testing.B) {
	type kase struct {
		terminal string
		gap      time.Duration
	}
	cases := []kase{{"COMPLETED", 500 * time.Millisecond}, {"COMPLETED", 7 * time.Second}, {"COMPLETED", 20 * time.Second},
		{"FAILED", 500 * time.Millisecond}, {"FAILED", 7 * time.Second}}
	type row struct {
		kase
		engine   time.Duration
		sdkWaitr string
		polls    int
	}
	var rows []row
	for i := 0; i < b.N; i++ {
		for _, c := range cases {
			srv := scenario.New(nil)
			if _, err := srv.Seed("demo", "demo-app", 2, seedTaskDefinition); err != nil {
				b.Fatal(err)
			}
			client := ecs.NewFromConfig(aws.Config{Region: scenario.Region, BaseEndpoint: aws.String(srv.URL),
				Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
			ctx := context.Background()
			script := rolloutWithQuietGap(c.gap)
			if c.terminal == "FAILED" {
				script = rolloutFailingAfterGap(c.gap)
			}

			// This engine.
			srv.Queue(script)
			d := &ecsdeploy.Deployer{API: client}
			res, err := d.Deploy(ctx, ecsdeploy.Request{Cluster: "demo", Service: "demo-app", Container: "app", Image: pinned(newImage),
				Timeout: 2 * time.Minute, NoRollback: c.terminal == "FAILED"})
			returned := time.Now()
			if (err != nil) != (c.terminal == "FAILED") {
				b.Fatalf("%s after %s: deploy returned %v", c.terminal, c.gap, err)
			}
			reached, ok := srv.Reached("demo-app")
			if !ok {
				b.Fatal("scenario never reached its terminal state")
			}
			r := row{kase: c, engine: returned.Sub(reached), polls: res.Polls}

			// The SDK waiter on the same kind of rollout.
			srv.Queue(script)
			back := res.PreviousTaskDefinition
			if c.terminal == "FAILED" {
				back = res.TaskDefinition // the breaker restored the previous one: deploy the failing one again
			}
			if _, err := client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("demo"), Service: aws.String("demo-app"),
				TaskDefinition: aws.String(back)}); err != nil {
				b.Fatal(err)
			}
			w := ecs.NewServicesStableWaiter(client)
			limit := 5 * time.Minute
			if c.terminal == "FAILED" {
				limit = sdkWaiterCap
			}
			err = w.Wait(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("demo"), Services: []string{"demo-app"}}, limit)
			returned = time.Now()
			reached, _ = srv.Reached("demo-app")
			switch {
			case err == nil:
				r.sdkWaitr = returned.Sub(reached).Round(10 * time.Millisecond).String()
				if c.terminal == "FAILED" {
					r.sdkWaitr += " (reports success)"
				}
			case c.terminal == "FAILED":
				r.sdkWaitr = fmt.Sprintf("no verdict after %s", returned.Sub(reached).Round(time.Second))
			default:
				b.Fatal(err)
			}
			rows = append(rows, r)
			srv.Close()
		}
	}
	var engine []time.Duration
	var out strings.Builder
	fmt.Fprintf(&out, "\nECS: service deployment terminal state → call returns (wall clock, scenario server)\n")
	fmt.Fprintf(&out, "%-10s %-12s %-14s %-32s %-6s\n", "terminal", "quiet gap", "release-engine", "SDK/CLI waiter (15s poll)", "polls")
	for _, r := range rows {
		fmt.Fprintf(&out, "%-10s %-12s %-14s %-32s %-6d\n", r.terminal, r.gap, r.engine.Round(10*time.Millisecond), r.sdkWaitr, r.polls)
		engine = append(engine, r.engine)
	}
	sort.Slice(engine, func(i, j int) bool { return engine[i] < engine[j] })
	fmt.Fprintf(&out, "release-engine median %s, worst %s (target ≤ 3s worst case; the 2.5s poll cap bounds it)\n",
		engine[len(engine)/2].Round(10*time.Millisecond), engine[len(engine)-1].Round(10*time.Millisecond))
	fmt.Fprint(os.Stdout, out.String())
	b.ReportMetric(float64(engine[len(engine)/2].Milliseconds()), "ms-median-detect")
	b.ReportMetric(float64(engine[len(engine)-1].Milliseconds()), "ms-worst-detect")
}
