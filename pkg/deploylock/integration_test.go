//go:build integration

package deploylock_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/pkg/deploylock"
)

// Two deploys of one service at once against the sandbox's SSM (moto): exactly one holds the lock at a
// time, the other waits naming it and then proceeds; a third that will not wait is refused with the
// holder's identity; a holder cancelled mid-deploy still releases; nothing is left behind.
func TestSandboxTwoConcurrentDeploysOneAtATime(t *testing.T) {
	s := sandboxtest.Env(t)
	store := deploylock.SSMStore{API: ssm.NewFromConfig(s.AWSConfig()), Prefix: "/delivery-test/" + sandboxtest.UniqueName("lock")}
	const key = "local/ecs/demo-app"

	type span struct {
		who        string
		start, end time.Time
		log        string
		err        error
	}
	deploy := func(ctx context.Context, who string, wait, work time.Duration) span {
		var out strings.Builder
		l := &deploylock.Locker{Store: store, Out: &out, Poll: 100 * time.Millisecond}
		sp := span{who: who}
		lease, err := l.Acquire(ctx, deploylock.Request{Key: key, Who: who, Commit: "c0ffee" + who, Wait: wait, Hold: time.Minute})
		if err != nil {
			sp.err, sp.log = err, out.String()
			return sp
		}
		defer func() {
			if err := lease.Release(ctx); err != nil {
				t.Errorf("%s: %v", who, err)
			}
		}()
		sp.start = time.Now()
		select { // the deploy's work; a cancelled deploy stops early
		case <-time.After(work):
		case <-ctx.Done():
			sp.err = ctx.Err()
		}
		sp.end, sp.log = time.Now(), out.String()
		return sp
	}

	var wg sync.WaitGroup
	spans := make([]span, 2)
	for i, who := range []string{"deploy-a", "deploy-b"} {
		wg.Add(1)
		go func(i int, who string) {
			defer wg.Done()
			spans[i] = deploy(context.Background(), who, 30*time.Second, 1500*time.Millisecond)
		}(i, who)
	}
	time.Sleep(500 * time.Millisecond)
	refused := deploy(context.Background(), "deploy-c", 0, 0)
	var held *deploylock.HeldError
	if !errors.As(refused.err, &held) || !strings.Contains(refused.err.Error(), "another deploy holds local/ecs/demo-app: deploy-") ||
		!strings.Contains(refused.err.Error(), "(commit c0ffeedeploy) since ") {
		t.Fatalf("deploy-c must be refused naming the holder, got %v", refused.err)
	}
	wg.Wait()
	for _, sp := range spans {
		if sp.err != nil {
			t.Fatalf("%s: %v\n%s", sp.who, sp.err, sp.log)
		}
	}
	first, second := spans[0], spans[1]
	if second.start.Before(first.start) {
		first, second = second, first
	}
	if second.start.Before(first.end) {
		t.Fatalf("deploys overlapped: %s %s–%s, %s %s–%s", first.who, first.start, first.end, second.who, second.start, second.end)
	}
	if !strings.Contains(second.log, "is held by "+first.who) || !strings.Contains(second.log, "taken after waiting") {
		t.Fatalf("the waiting deploy did not report the holder:\n%s", second.log)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	if sp := deploy(ctx, "deploy-d", 0, time.Minute); !errors.Is(sp.err, context.Canceled) {
		t.Fatalf("deploy-d: %v", sp.err)
	}
	if h, err := (&deploylock.Locker{Store: store}).Inspect(context.Background(), key); err != nil || h != nil {
		t.Fatalf("a lock is left after every deploy ended: %+v %v", h, err)
	}
}
