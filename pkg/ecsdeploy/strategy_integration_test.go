//go:build integration

package ecsdeploy_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/platformteam/delivery/internal/sandbox"
	"github.com/platformteam/delivery/internal/sandbox/ecsstrategytest"
	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/pkg/ecsdeploy"
	"github.com/platformteam/delivery/pkg/release/api"
)

// The sandbox's ECS twin plays the deployment strategies (internal/fake/ecs/rollout): the deploy passes
// the strategy, follows the service deployment, and the twin shifts the listener weights on moto's
// ELBv2 and reads the alarm on moto's CloudWatch. Its time is compressed (one ECS minute = 1 s,
// internal/sandbox/twin.SandboxECSTime), so each case takes seconds.

// For each strategy: a good version deploys to completion with all production traffic on the group
// that did not serve it before; a bad version, whose alarm fires mid-shift, is rolled back by ECS (the
// twin) with the alarm as the reason, the deploy fails with the rolled-back exit code, the service runs
// the previous task definition and production traffic is back where it was.
func TestSandboxStrategiesDeployAndRollBackOnAlarm(t *testing.T) {
	s := sandboxtest.Env(t)
	var table []string
	for _, kind := range ecsstrategytest.Strategies {
		t.Run(string(kind)+"/good", func(t *testing.T) {
			st := ecsstrategytest.NewStack(t, s.AWSConfig(), s.Vars[sandbox.EnvAccountID])
			run := st.Deploy(t, kind, false)
			if run.Err != nil || run.Res.Outcome != api.Deployed {
				t.Fatalf("deploy: %v (%+v)\n%s", run.Err, run.Res, run.Out)
			}
			if td := st.ServiceTD(t); td != run.Res.TaskDefinition {
				t.Fatalf("service runs %s, want %s", td, run.Res.TaskDefinition)
			}
			if kind == types.DeploymentStrategyRolling {
				if b, g := st.Weights(t, st.ProdRule); b != 100 || g != 0 {
					t.Fatalf("a rolling deployment does not shift listener weights: blue %d green %d", b, g)
				}
				return
			}
			if b, g := st.Weights(t, st.ProdRule); b != 0 || g != 100 {
				t.Fatalf("after %s all production traffic goes to the green group: blue %d green %d\n%s", kind, b, g, run.Out)
			}
			if b, g := st.Weights(t, st.TestRule); b != 0 || g != 100 {
				t.Fatalf("test traffic goes to green: blue %d green %d", b, g)
			}
			var steps []string
			stages := map[string]bool{}
			for _, sg := range run.Res.Stages {
				stages[sg.Stage] = true
				if sg.Stage == "PRODUCTION_TRAFFIC_SHIFT" && sg.ProductionTrafficPercent != nil {
					steps = append(steps, fmt.Sprint(*sg.ProductionTrafficPercent))
				}
			}
			want := map[types.DeploymentStrategy]string{types.DeploymentStrategyBlueGreen: "100", types.DeploymentStrategyLinear: "50,100", types.DeploymentStrategyCanary: "10,100"}[kind]
			if strings.Join(steps, ",") != want {
				t.Fatalf("production traffic steps %v, want %s\n%s", steps, want, run.Out)
			}
			for _, sg := range []string{"SCALE_UP", "PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME"} {
				if !stages[sg] {
					t.Fatalf("the deploy did not report %s\n%s", sg, run.Out)
				}
			}
			if !strings.Contains(run.Out, "hook arn:aws:lambda:ap-southeast-2:123456789012:function:smoke") {
				t.Fatalf("the hook's Lambda ARN is not reported\n%s", run.Out)
			}
		})
		t.Run(string(kind)+"/alarm", func(t *testing.T) {
			st := ecsstrategytest.NewStack(t, s.AWSConfig(), s.Vars[sandbox.EnvAccountID])
			run := st.Deploy(t, kind, true)
			var failed *api.FailedError
			if !errors.As(run.Err, &failed) || failed.ExitCode() != api.ExitRolledBack || run.Res.Outcome != api.RolledBack {
				t.Fatalf("want a failed deploy with the rolled-back exit code, got %v (%+v)\n%s", run.Err, run.Res, run.Out)
			}
			if !strings.Contains(run.Res.Reason, st.Alarm) {
				t.Fatalf("the reason must name the alarm %s: %s", st.Alarm, run.Res.Reason)
			}
			// Every strategy watching alarms, ROLLING too, follows its service deployment: ECS's rollback.
			if run.Res.Failure != ecsdeploy.FailureECSRollback {
				t.Fatalf("failure kind %s, want %s\n%s", run.Res.Failure, ecsdeploy.FailureECSRollback, run.Out)
			}
			if td := st.ServiceTD(t); td != st.First || run.Res.RunningTaskDefinition != st.First {
				t.Fatalf("service runs %s (reported %s), want the previous %s", td, run.Res.RunningTaskDefinition, st.First)
			}
			if b, g := st.Weights(t, st.ProdRule); b != 100 || g != 0 {
				t.Fatalf("after the rollback production traffic is back on blue: blue %d green %d\n%s", b, g, run.Out)
			}
			table = append(table, fmt.Sprintf("| %s | %s | %.2f s |", kind, map[bool]string{true: "partial production step", false: "bake time"}[kind == types.DeploymentStrategyLinear || kind == types.DeploymentStrategyCanary], run.AlarmToEnd.Seconds()))
		})
	}
	t.Logf("alarm in ALARM → deploy reports the rollback (sandbox, 1 ECS minute = 1 s, twin tick 200 ms, deploy poll ≤ 2.5 s):\n| strategy | alarm fired during | alarm → rollback reported |\n| --- | --- | --- |\n%s", strings.Join(table, "\n"))
}

// BenchmarkSandboxAlarmToRollback measures, per strategy, the time from SetAlarmState ALARM mid-shift to
// the deploy returning its rolled-back verdict, and prints the table recorded in docs/release-engine.md.
func BenchmarkSandboxAlarmToRollback(b *testing.B) {
	s := sandboxtest.Env(b)
	rows := []string{}
	for _, kind := range ecsstrategytest.Strategies {
		var times []time.Duration
		for i := 0; i < b.N; i++ {
			st := ecsstrategytest.NewStack(b, s.AWSConfig(), s.Vars[sandbox.EnvAccountID])
			run := st.Deploy(b, kind, true)
			if run.Res.Outcome != api.RolledBack {
				b.Fatalf("%s: not rolled back: %v\n%s", kind, run.Err, run.Out)
			}
			times = append(times, run.AlarmToEnd)
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		rows = append(rows, fmt.Sprintf("| %s | %d | %.2f s | %.2f s | %.2f s |", kind, len(times), times[0].Seconds(), times[len(times)/2].Seconds(), times[len(times)-1].Seconds()))
	}
	b.Logf("\n| strategy | runs | min | median | worst |\n| --- | --- | --- | --- | --- |\n%s", strings.Join(rows, "\n"))
}
