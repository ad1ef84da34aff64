//go:build integration

package ecsdeploy_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
	"github.com/platformteam/delivery/pkg/deploylock"
	"github.com/platformteam/delivery/pkg/ecsdeploy"
	"github.com/platformteam/delivery/pkg/release/api"
)

// Two deploys of one service at once, each under the deploy lock kept in the sandbox's SSM (moto):
// exactly one proceeds while the other waits naming it, a third that refuses to wait names the
// holder, a cancelled deploy still releases, and no lock is left.
func TestSandboxConcurrentDeploysOneAtATime(t *testing.T) {
	s := sandboxtest.Env(t)
	client := ecs.NewFromConfig(s.AWSConfig())
	cluster, _, _ := motoService(t, client)
	prefix := "/delivery-test/" + cluster
	key, err := deploylock.Key("local", "ecs", "demo-app")
	if err != nil {
		t.Fatal(err)
	}
	store := deploylock.SSMStore{API: ssm.NewFromConfig(s.AWSConfig()), Prefix: prefix}

	type span struct {
		who        string
		start, end time.Time
		res        api.ECSResult
		err        error
		log        string
	}
	deploy := func(ctx context.Context, who, image string, wait time.Duration) span {
		var out strings.Builder
		locker := &deploylock.Locker{Store: store, Out: &out, Poll: 200 * time.Millisecond}
		sp := span{who: who}
		lease, err := locker.Acquire(ctx, deploylock.Request{Key: key, Who: who, Commit: "c0ffee" + who, Wait: wait, Hold: 5 * time.Minute})
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
		d := &ecsdeploy.Deployer{API: client, Out: &out, Polling: ecsdeploy.Polling{Min: 200 * time.Millisecond, Max: time.Second, Factor: 2}}
		sp.res, sp.err = d.Deploy(ctx, ecsdeploy.Request{Cluster: cluster, Service: "demo-app", Image: pinned(image), Timeout: time.Minute})
		sp.end, sp.log = time.Now(), out.String()
		return sp
	}

	var wg sync.WaitGroup
	spans := make([]span, 2)
	for i, image := range []string{newImage, strings.Replace(newImage, "2222", "3333", 1)} {
		wg.Add(1)
		go func(i int, image string) {
			defer wg.Done()
			spans[i] = deploy(context.Background(), []string{"deploy-a", "deploy-b"}[i], image, 2*time.Minute)
		}(i, image)
	}
	// While they run, a deploy that will not wait is refused with the holder's name.
	time.Sleep(300 * time.Millisecond)
	refused := deploy(context.Background(), "deploy-c", newImage, 0)
	var held *deploylock.HeldError
	if errors.As(refused.err, &held) {
		if !strings.Contains(refused.err.Error(), "another deploy holds local/ecs/demo-app: deploy-") || !strings.Contains(refused.err.Error(), "(commit c0ffeedeploy) since ") {
			t.Fatalf("refusal does not name the holder: %v", refused.err)
		}
	} else if refused.err != nil || refused.start.IsZero() {
		t.Fatalf("deploy-c: %v", refused.err)
	}
	wg.Wait()
	for _, sp := range spans {
		if sp.err != nil || sp.res.Outcome != api.Deployed {
			t.Fatalf("%s: %v (%+v)\n%s", sp.who, sp.err, sp.res, sp.log)
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

	// Cancelled mid-deploy: the deploy restores and the lock is released anyway.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	cancelled := deploy(ctx, "deploy-d", strings.Replace(newImage, "2222", "4444", 1), 0)
	if cancelled.err == nil {
		t.Logf("deploy-d finished before the cancel: %+v", cancelled.res)
	}
	h, err := (&deploylock.Locker{Store: store}).Inspect(context.Background(), key)
	if err != nil || h != nil {
		t.Fatalf("a lock is left after every deploy ended: %+v %v", h, err)
	}
}
