package release

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	ecsscenario "github.com/platformteam/delivery/internal/fake/ecs/scenario"
	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/deploylock"
)

const ecsLockParameter = "/delivery/deploy-locks/staging/ecs/demo-app"

// A deploy takes its service's lock on the environment's credentials and gives it back; while
// another deploy holds it, a deploy that will not wait changes nothing and names the holder.
func TestDeployECSHoldsTheServiceLock(t *testing.T) {
	r := newRig(t)
	var out strings.Builder
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDSTAGING")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	ci := map[string]string{"GITHUB_RUN_ID": "77", "GITHUB_SERVER_URL": "https://github.example", "GITHUB_REPOSITORY": "org/repo"}
	acc := NewAccess(r.env, Connection{Getenv: func(k string) string {
		if v, ok := ci[k]; ok {
			return v
		}
		return os.Getenv(k)
	}}, &out)

	// The supply-chain gate comes before the lock: an unsigned digest is refused without the lock's
	// parameter ever being written.
	unsigned, err := For(r.env, testArtifact(t, Repository(r.env), digestA), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DeployECS(context.Background(), acc, unsigned, false); err == nil || !strings.Contains(err.Error(), "deploy gate of staging refused") {
		t.Fatalf("an unsigned digest: want the gate's refusal, got %v", err)
	}
	for _, c := range r.front.Calls() {
		if strings.HasPrefix(c.Action, "ssm:") {
			t.Fatalf("the gate refused, yet the deploy called %s (the lock must come after the gate)", c.Action)
		}
	}

	plan := publishedPlan(t, r, acc, "abc1234")

	// Another deploy holds it.
	cfg, err := acc.AWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	other := &deploylock.Locker{Store: deploylock.SSMStore{API: ssm.NewFromConfig(cfg)}}
	held, err := other.Acquire(context.Background(), deploylock.Request{Key: "staging/ecs/demo-app", Who: "alice@laptop", Commit: "def5678", Hold: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	acc.Lock.Wait = -1
	_, err = DeployECS(context.Background(), acc, plan, false)
	var busy *deploylock.HeldError
	if !errors.As(err, &busy) || !strings.Contains(err.Error(), "ecs deploy refused: another deploy holds staging/ecs/demo-app: alice@laptop (commit def5678)") {
		t.Fatalf("want a refusal naming the holder, got %v", err)
	}
	if r.ecs.Calls("RegisterTaskDefinition")+r.ecs.Calls("UpdateService") != 0 {
		t.Fatal("a refused deploy must change nothing")
	}

	// Released: the deploy takes it (as the CI run), deploys, and gives it back.
	if err := held.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	var sawLock bool
	r.ecs.Queue(ecsscenario.Completes(1, 200*time.Millisecond))
	acc.Lock.Wait = 0
	if _, err := DeployECS(context.Background(), acc, plan, false); err != nil {
		t.Fatal(err)
	}
	for _, c := range r.front.Calls() {
		if c.Action == "ssm:PutParameter" && c.AccessKey == "AKIDSTAGING" {
			sawLock = true
		}
	}
	if !strings.Contains(out.String(), "deploy lock staging/ecs/demo-app taken (github run https://github.example/org/repo/actions/runs/77)") {
		t.Fatalf("the deploy does not say it took the lock as the CI run:\n%s", out.String())
	}
	if _, left := r.front.Parameter(ecsLockParameter); left || !sawLock {
		t.Fatalf("lock taken with the environment's credentials: %v; left behind: %v", sawLock, left)
	}

	// A failed deploy releases it too.
	r.ecs.Queue(ecsscenario.BreakerTrips(1, time.Second))
	plan2 := publishedPlan(t, r, acc, "bcd2345")
	if _, err := DeployECS(context.Background(), acc, plan2, false); err == nil {
		t.Fatal("the breaker must fail the deploy")
	}
	if _, left := r.front.Parameter(ecsLockParameter); left {
		t.Fatal("a failed deploy left its lock")
	}
}

// publishedPlan publishes a new image for commit as the pipeline does (signed and attested with the
// environment's key, so the deploy gate lets it through) and plans its deploy.
func publishedPlan(t *testing.T, r *rig, acc *Access, commit string) *Plan {
	t.Helper()
	c, _ := artifact.ParseCommit(commit)
	pub, err := PublishAttested(context.Background(), acc, imageLayout(t), c, buildRecord(c), time.Now())
	if err != nil {
		t.Fatalf("publish %s: %v", commit, err)
	}
	plan, err := For(r.env, pub.Artifact, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}
