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

// BenchmarkRolloutDetection measures, on the wall clock against the ECS scenario server, the time from
// the service reaching COMPLETED to the call returning: this engine's deploy (adaptive 1 s → 2.5 s polling)
// versus the SDK's ServicesStable waiter (15 s minimum delay). Run with -benchtime=1x; prints a table.
func BenchmarkRolloutDetection(b *testing.B) {
	gaps := []time.Duration{500 * time.Millisecond, 7 * time.Second, 20 * time.Second}
	type row struct {
		gap              time.Duration
		engine, sdkWaitr time.Duration
		polls            int
	}
	var rows []row
	for i := 0; i < b.N; i++ {
		for _, gap := range gaps {
			srv := scenario.New(nil)
			if _, err := srv.Seed("demo", "demo-app", 2, seedTaskDefinition); err != nil {
				b.Fatal(err)
			}
			client := ecs.NewFromConfig(aws.Config{Region: scenario.Region, BaseEndpoint: aws.String(srv.URL),
				Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
			ctx := context.Background()

			// This engine.
			srv.Queue(rolloutWithQuietGap(gap))
			d := &ecsdeploy.Deployer{API: client}
			res, err := d.Deploy(ctx, ecsdeploy.Request{Cluster: "demo", Service: "demo-app", Container: "app", Image: pinned(newImage), Timeout: 2 * time.Minute})
			returned := time.Now()
			if err != nil {
				b.Fatal(err)
			}
			reached, ok := srv.Reached("demo-app")
			if !ok {
				b.Fatal("scenario never completed")
			}
			r := row{gap: gap, engine: returned.Sub(reached), polls: res.Polls}

			// The SDK waiter on the same kind of rollout.
			srv.Queue(rolloutWithQuietGap(gap))
			if _, err := client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("demo"), Service: aws.String("demo-app"),
				TaskDefinition: aws.String(res.PreviousTaskDefinition)}); err != nil {
				b.Fatal(err)
			}
			w := ecs.NewServicesStableWaiter(client)
			if err := w.Wait(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("demo"), Services: []string{"demo-app"}}, 5*time.Minute); err != nil {
				b.Fatal(err)
			}
			returned = time.Now()
			reached, _ = srv.Reached("demo-app")
			r.sdkWaitr = returned.Sub(reached)
			rows = append(rows, r)
			srv.Close()
		}
	}
	var engine []time.Duration
	var out strings.Builder
	fmt.Fprintf(&out, "\nECS: service COMPLETED → call returns (wall clock, scenario server)\n")
	fmt.Fprintf(&out, "%-28s %-14s %-14s %-8s\n", "quiet gap before COMPLETED", "release-engine", "SDK waiter", "polls")
	for _, r := range rows {
		fmt.Fprintf(&out, "%-28s %-14s %-14s %-8d\n", r.gap, r.engine.Round(10*time.Millisecond), r.sdkWaitr.Round(10*time.Millisecond), r.polls)
		engine = append(engine, r.engine)
	}
	sort.Slice(engine, func(i, j int) bool { return engine[i] < engine[j] })
	fmt.Fprintf(&out, "release-engine median %s, worst %s (target ≤ 3s; poll cap 2.5s bounds the worst case)\n",
		engine[len(engine)/2].Round(10*time.Millisecond), engine[len(engine)-1].Round(10*time.Millisecond))
	fmt.Fprint(os.Stdout, out.String())
	b.ReportMetric(float64(engine[len(engine)/2].Milliseconds()), "ms-median-detect")
}
