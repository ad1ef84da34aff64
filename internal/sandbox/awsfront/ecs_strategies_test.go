package awsfront_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/platformteam/delivery/internal/fake/ecs/rollout"
	"github.com/platformteam/delivery/internal/sandbox/awsfront"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/awsfronttest"
	"github.com/platformteam/delivery/internal/sandbox/ecsstrategytest"
	"github.com/platformteam/delivery/pkg/ecsdeploy"
	"github.com/platformteam/delivery/pkg/release/api"
)

// strategyTwin is a front of its own on the package's moto with the ECS rollout simulator installed as
// `sandbox up` installs it, its time compressed further (one ECS minute lasts one second, a stage half
// a second; the deploys poll four times a second so they see every stage).
func strategyTwin(t *testing.T) aws.Config {
	t.Helper()
	tw := awsfronttest.Get(t)
	cfg := tw.Front.Config()
	cfg.StateDir = t.TempDir()
	f, err := awsfront.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.SetLogger(log.New(io.Discard, "", 0))
	sim, err := rollout.New(cfg.Backend)
	if err != nil {
		t.Fatal(err)
	}
	sim.SetTransport(f.Transport())
	sim.Cloud = f.StrategyCloud()
	sim.Minute, sim.StageTime = time.Second, 500*time.Millisecond
	f.SetECS(sim)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go sim.Run(ctx, 200*time.Millisecond)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	admin := tw.Admins[awsfronttest.Staging]
	return aws.Config{Region: awsfronttest.Region, BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 3,
		Credentials: awscreds.NewStaticCredentialsProvider(admin.AccessKeyID, admin.SecretAccessKey, "")}
}

var fastPolling = ecsdeploy.Polling{Min: 200 * time.Millisecond, Max: 250 * time.Millisecond, Factor: 1.5}

// The twin's strategies end to end without the shared sandbox: the deploy passes LINEAR, follows the
// service deployment through its traffic steps and completes with production on the green group; a
// CANARY whose alarm fires on moto's CloudWatch mid-shift is rolled back with the alarm as the reason,
// the service back on its first revision and production traffic back on blue. (The sandbox test in
// pkg/ecsdeploy runs every strategy, good and bad.)
func TestECSStrategiesOnAPrivateTwin(t *testing.T) {
	cfg := strategyTwin(t)
	t.Run("LINEAR completes", func(t *testing.T) {
		st := ecsstrategytest.NewStack(t, cfg, awsfronttest.Staging)
		st.Polling = fastPolling
		run := st.Deploy(t, types.DeploymentStrategyLinear, false)
		if run.Err != nil || run.Res.Outcome != api.Deployed || st.ServiceTD(t) != run.Res.TaskDefinition {
			t.Fatalf("deploy: %v (%+v)\n%s", run.Err, run.Res, run.Out)
		}
		if b, g := st.Weights(t, st.ProdRule); b != 0 || g != 100 {
			t.Fatalf("production weights blue %d green %d, want 0/100\n%s", b, g, run.Out)
		}
		if got := run.Res.Rollout().Strategy; !strings.Contains(got, "PRODUCTION_TRAFFIC_SHIFT 50% → 100%") || !strings.HasSuffix(got, "SUCCESSFUL") {
			t.Fatalf("summary %q\n%s", got, run.Out)
		}
	})
	t.Run("CANARY alarm rolls back", func(t *testing.T) {
		st := ecsstrategytest.NewStack(t, cfg, awsfronttest.Staging)
		st.Polling = fastPolling
		run := st.Deploy(t, types.DeploymentStrategyCanary, true)
		var failed *api.FailedError
		if !errors.As(run.Err, &failed) || failed.ExitCode() != api.ExitRolledBack || !strings.Contains(run.Res.Reason, st.Alarm) {
			t.Fatalf("want a rolled-back failure naming %s, got %v (%+v)\n%s", st.Alarm, run.Err, run.Res, run.Out)
		}
		if td := st.ServiceTD(t); td != st.First {
			t.Fatalf("service runs %s, want %s", td, st.First)
		}
		if b, g := st.Weights(t, st.ProdRule); b != 100 || g != 0 {
			t.Fatalf("production weights blue %d green %d, want 100/0\n%s", b, g, run.Out)
		}
		t.Logf("alarm → rollback reported in %s", run.AlarmToEnd.Round(10*time.Millisecond))
	})
}
