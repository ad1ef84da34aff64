package deploylock

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// fakeSSM is an in-memory parameter store with SSM's typed errors.
type fakeSSM struct {
	mu     sync.Mutex
	params map[string]string
}

func newFakeSSM() *fakeSSM { return &fakeSSM{params: map[string]string{}} }

func (f *fakeSSM) PutParameter(_ context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.Name)
	if _, ok := f.params[name]; ok && !aws.ToBool(in.Overwrite) {
		return nil, &ssmtypes.ParameterAlreadyExists{Message: aws.String("The parameter already exists.")}
	}
	f.params[name] = aws.ToString(in.Value)
	return &ssm.PutParameterOutput{Version: 1}, nil
}

func (f *fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.params[aws.ToString(in.Name)]
	if !ok {
		return nil, &ssmtypes.ParameterNotFound{}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(v)}}, nil
}

func (f *fakeSSM) DeleteParameter(_ context.Context, in *ssm.DeleteParameterInput, _ ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.params[aws.ToString(in.Name)]; !ok {
		return nil, &ssmtypes.ParameterNotFound{}
	}
	delete(f.params, aws.ToString(in.Name))
	return &ssm.DeleteParameterOutput{}, nil
}

func (f *fakeSSM) has(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.params[name]
	return ok
}

// fakeClock advances on Sleep and runs onSleep(n) before the n-th sleep returns.
type fakeClock struct {
	mu      sync.Mutex
	t       time.Time
	sleeps  int
	onSleep func(n int)
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.sleeps++
	n := c.sleeps
	c.mu.Unlock()
	if c.onSleep != nil {
		c.onSleep(n)
	}
	return ctx.Err()
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)} }

const param = "/delivery/deploy-locks/staging/ecs/demo-app"

func request(who string, wait time.Duration) Request {
	return Request{Key: "staging/ecs/demo-app", Who: who, Commit: "0123456789abcdef0123", Wait: wait, Hold: 20 * time.Minute}
}

func TestAcquireReleaseAndRefuseNamingTheHolder(t *testing.T) {
	api, clock := newFakeSSM(), newClock()
	l := &Locker{Store: SSMStore{API: api}, Clock: clock}
	lease, err := l.Acquire(context.Background(), request("alice@laptop", 0))
	if err != nil || !api.has(param) {
		t.Fatalf("acquire: %v (parameter present: %v)", err, api.has(param))
	}
	clock.t = clock.t.Add(90 * time.Second)
	_, err = l.Acquire(context.Background(), request("ci run 42", 0))
	var held *HeldError
	if !errors.As(err, &held) || held.Holder.Who != "alice@laptop" || held.Waited != 0 {
		t.Fatalf("want a refusal naming alice, got %v", err)
	}
	for _, want := range []string{"alice@laptop", "commit 0123456789ab", "since 2026-01-01T09:00:00Z (1m30s ago)", "retry when it finishes"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("refusal lacks %q: %v", want, err)
		}
	}
	if err := lease.Release(context.Background()); err != nil || api.has(param) {
		t.Fatalf("release: %v (parameter present: %v)", err, api.has(param))
	}
	if _, err := l.Acquire(context.Background(), request("ci run 42", 0)); err != nil {
		t.Fatalf("free again: %v", err)
	}
}

func TestSecondDeployWaitsWithProgressThenProceeds(t *testing.T) {
	api, clock := newFakeSSM(), newClock()
	var out strings.Builder
	l := &Locker{Store: SSMStore{API: api}, Clock: clock, Out: &out, Poll: 2 * time.Second}
	first, err := l.Acquire(context.Background(), request("alice@laptop", 0))
	if err != nil {
		t.Fatal(err)
	}
	clock.onSleep = func(n int) {
		if n == 5 {
			first.Release(context.Background())
		}
	}
	second, err := l.Acquire(context.Background(), request("ci run 42", time.Minute))
	if err != nil {
		t.Fatalf("the waiting deploy must proceed once the first releases: %v", err)
	}
	if second.Holder.Who != "ci run 42" || second.Holder.Token == first.Holder.Token {
		t.Fatalf("lease %+v", second.Holder)
	}
	log := out.String()
	if strings.Count(log, "is held by alice@laptop") != 1 || !strings.Contains(log, "taken after waiting 10s") || !strings.Contains(log, "left)") {
		t.Fatalf("progress:\n%s", log)
	}
}

func TestWaitTimesOutNamingTheHolder(t *testing.T) {
	api, clock := newFakeSSM(), newClock()
	l := &Locker{Store: SSMStore{API: api}, Clock: clock}
	if _, err := l.Acquire(context.Background(), request("alice@laptop", 0)); err != nil {
		t.Fatal(err)
	}
	_, err := l.Acquire(context.Background(), request("ci run 42", 45*time.Second))
	var held *HeldError
	if !errors.As(err, &held) || held.Waited != 45*time.Second || !strings.Contains(err.Error(), "waited 45s") {
		t.Fatalf("want a timeout naming the holder, got %v", err)
	}
}

func TestCancelledWhileWaitingLeavesTheHolderAlone(t *testing.T) {
	api, clock := newFakeSSM(), newClock()
	l := &Locker{Store: SSMStore{API: api}, Clock: clock}
	if _, err := l.Acquire(context.Background(), request("alice@laptop", 0)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	clock.onSleep = func(n int) {
		if n == 2 {
			cancel()
		}
	}
	_, err := l.Acquire(ctx, request("ci run 42", time.Hour))
	if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "cancelled while waiting for alice@laptop") {
		t.Fatalf("want cancellation, got %v", err)
	}
	if h, _ := l.Inspect(context.Background(), "staging/ecs/demo-app"); h == nil || h.Who != "alice@laptop" {
		t.Fatalf("holder changed: %+v", h)
	}
}

// A deploy cancelled after taking the lock still releases it (the release ignores the cancellation).
func TestReleaseRunsAfterCancellation(t *testing.T) {
	api := newFakeSSM()
	l := &Locker{Store: SSMStore{API: api}}
	ctx, cancel := context.WithCancel(context.Background())
	lease, err := l.Acquire(ctx, request("alice@laptop", 0))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := lease.Release(ctx); err != nil || api.has(param) {
		t.Fatalf("release after cancel: %v (present %v)", err, api.has(param))
	}
	var none *Lease
	if none.Release(ctx) != nil {
		t.Fatal("releasing no lease is a no-op")
	}
}

func TestStaleLockIsReportedAndOnlyItsTokenUnlocksIt(t *testing.T) {
	api, clock := newFakeSSM(), newClock()
	l := &Locker{Store: SSMStore{API: api}, Clock: clock}
	dead, err := l.Acquire(context.Background(), request("ci run 41", 0))
	if err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(25 * time.Minute) // the 20 m hold has passed: run 41 died holding it
	_, err = l.Acquire(context.Background(), request("ci run 42", 0))
	var held *HeldError
	if !errors.As(err, &held) || !held.Holder.Stale(clock.Now()) {
		t.Fatalf("want a stale holder, got %v", err)
	}
	for _, want := range []string{"STALE: expired 5m0s ago", "release unlock --env staging --key staging/ecs/demo-app --token " + dead.Holder.Token, "SSM parameter " + param} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("stale report lacks %q: %v", want, err)
		}
	}
	if err := l.Unlock(context.Background(), "staging/ecs/demo-app", "wrong"); err == nil || !api.has(param) {
		t.Fatalf("a wrong token must not unlock: %v", err)
	}
	if err := l.Unlock(context.Background(), "staging/ecs/demo-app", dead.Holder.Token); err != nil || api.has(param) {
		t.Fatalf("unlock: %v", err)
	}
	if err := l.Unlock(context.Background(), "staging/ecs/demo-app", dead.Holder.Token); err == nil || !strings.Contains(err.Error(), "not held") {
		t.Fatalf("unlocking a free lock: %v", err)
	}
}

// A holder whose lock was removed and re-taken by another deploy does not remove the new one.
func TestReleaseLeavesAnotherHoldersLock(t *testing.T) {
	api := newFakeSSM()
	l := &Locker{Store: SSMStore{API: api}}
	old, _ := l.Acquire(context.Background(), request("ci run 41", 0))
	if err := l.Unlock(context.Background(), old.Key, old.Holder.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Acquire(context.Background(), request("ci run 42", 0)); err != nil {
		t.Fatal(err)
	}
	if err := old.Release(context.Background()); err == nil || !strings.Contains(err.Error(), "held by ci run 42 under another token") || !api.has(param) {
		t.Fatalf("release of a replaced lock: %v", err)
	}
}

// Many deploys racing on the wall clock: never two inside at once, and every one gets its turn.
func TestConcurrentDeploysAreExclusive(t *testing.T) {
	api := newFakeSSM()
	l := &Locker{Store: SSMStore{API: api}, Poll: 5 * time.Millisecond}
	var inside, maxInside, done atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			lease, err := l.Acquire(context.Background(), Request{Key: "staging/eks/demo-app", Who: "deploy-" + string(rune('a'+i)), Wait: 10 * time.Second, Hold: time.Minute})
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for {
				m := maxInside.Load()
				if n <= m || maxInside.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(10 * time.Millisecond)
			inside.Add(-1)
			done.Add(1)
			if err := lease.Release(context.Background()); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if maxInside.Load() != 1 || done.Load() != 6 || api.has("/delivery/deploy-locks/staging/eks/demo-app") {
		t.Fatalf("max inside %d, done %d, lock left %v", maxInside.Load(), done.Load(), api.has("/delivery/deploy-locks/staging/eks/demo-app"))
	}
}

func TestKeyAndRequestValidation(t *testing.T) {
	if k, err := Key("staging", "ecs", "demo-app"); err != nil || k != "staging/ecs/demo-app" {
		t.Fatalf("key %q %v", k, err)
	}
	if _, err := Key("staging", "ecs", "demo/app"); err == nil {
		t.Fatal("a slash in a part must be refused")
	}
	l := &Locker{Store: SSMStore{API: newFakeSSM()}}
	if _, err := l.Acquire(context.Background(), Request{Key: "k", Who: "w"}); err == nil {
		t.Fatal("a request without hold must be refused")
	}
}

func TestWhoNamesTheRun(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	gh := Who(env(map[string]string{"GITHUB_RUN_ID": "123", "GITHUB_SERVER_URL": "https://github.example/", "GITHUB_REPOSITORY": "org/repo", "GITHUB_ACTOR": "alice"}), "runner")
	if gh != "github run https://github.example/org/repo/actions/runs/123 (alice)" {
		t.Fatal(gh)
	}
	if cb := Who(env(map[string]string{"CODEBUILD_BUILD_ID": "delivery:42"}), "h"); cb != "codebuild delivery:42" {
		t.Fatal(cb)
	}
	if me := Who(env(map[string]string{"USER": "bob"}), "laptop"); me != "bob@laptop" {
		t.Fatal(me)
	}
}
