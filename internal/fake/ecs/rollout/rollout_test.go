package rollout

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platformteam/delivery/internal/fake/ecs"
)

// fakeECS is a tiny stand-in for moto's ECS JSON API: it stores the service's task definition and, like
// moto, always reports the deployment it was created with as the PRIMARY one.
type fakeECS struct {
	mu       sync.Mutex
	td       string
	created  string
	images   map[string]string
	updates  []string
	received []string
}

func (f *fakeECS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, _ := ecs.Operation(r.Header)
	body, _ := io.ReadAll(r.Body)
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.received = append(f.received, op)
	svc := func() map[string]any {
		return map[string]any{"serviceArn": "arn:svc/demo", "serviceName": "demo", "clusterArn": "arn:cluster/c",
			"taskDefinition": f.td, "desiredCount": 2, "runningCount": 2,
			"deployments": []any{map[string]any{"id": "ecs-svc/1", "status": "PRIMARY", "taskDefinition": f.created, "rolloutState": "COMPLETED", "desiredCount": 2, "runningCount": 2}}}
	}
	switch op {
	case "UpdateService":
		if td, ok := in["taskDefinition"].(string); ok { // an update may change only the configuration
			f.td = td
			f.updates = append(f.updates, f.td)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"service": svc()})
	case "DescribeServices":
		_ = json.NewEncoder(w).Encode(map[string]any{"services": []any{svc()}, "failures": []any{}})
	case "DescribeTaskDefinition":
		td := in["taskDefinition"].(string)
		_ = json.NewEncoder(w).Encode(map[string]any{"taskDefinition": map[string]any{"taskDefinitionArn": td,
			"containerDefinitions": []any{map[string]any{"name": "app", "image": f.images[td]}}}})
	case "DeleteService":
		_ = json.NewEncoder(w).Encode(map[string]any{"service": svc()})
	default:
		_ = json.NewEncoder(w).Encode(map[string]any{"op": op})
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T) (*fakeECS, *clock, *httptest.Server) {
	t.Helper()
	f := &fakeECS{td: "td:1", created: "td:1", images: map[string]string{"td:1": "repo@sha256:1", "td:2": "repo@sha256:2", "td:3": "repo/pull-fail@sha256:3"}}
	backend := httptest.NewServer(f)
	t.Cleanup(backend.Close)
	sim, err := New(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	sim.Now = c.now
	sim.RolloutTime = 3 * time.Second
	front := httptest.NewServer(sim)
	t.Cleanup(front.Close)
	return f, c, front
}

func ecsCall(t *testing.T, url, op string, in any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(in)
	req, _ := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(b))
	ecs.SetOperation(req.Header, op)
	req.Header.Set("Content-Type", ecs.ContentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("%s answer: %v", op, err)
	}
	return out
}

func deployments(t *testing.T, url string) (string, []map[string]any, []any) {
	t.Helper()
	out := ecsCall(t, url, "DescribeServices", map[string]any{"cluster": "c", "services": []string{"demo"}})
	svc := out["services"].([]any)[0].(map[string]any)
	var deps []map[string]any
	for _, d := range svc["deployments"].([]any) {
		deps = append(deps, d.(map[string]any))
	}
	events, _ := svc["events"].([]any)
	return svc["taskDefinition"].(string), deps, events
}

func TestSuccessfulRolloutCompletesAfterRolloutTime(t *testing.T) {
	_, c, front := setup(t)
	if td, deps, _ := deployments(t, front.URL); td != "td:1" || len(deps) != 1 || deps[0]["taskDefinition"] != "td:1" {
		t.Fatalf("before any update the backend's answer passes through: %s %v", td, deps)
	}
	ecsCall(t, front.URL, "UpdateService", map[string]any{"cluster": "c", "service": "demo", "taskDefinition": "td:2"})
	_, deps, _ := deployments(t, front.URL)
	if len(deps) != 2 || deps[0]["taskDefinition"] != "td:2" || deps[0]["status"] != "PRIMARY" || deps[0]["rolloutState"] != "IN_PROGRESS" ||
		deps[1]["taskDefinition"] != "td:1" || deps[1]["status"] != "ACTIVE" {
		t.Fatalf("during the rollout: %v", deps)
	}
	c.t = c.t.Add(3 * time.Second)
	td, deps, events := deployments(t, front.URL)
	if td != "td:2" || len(deps) != 1 || deps[0]["rolloutState"] != "COMPLETED" || deps[0]["runningCount"].(float64) != 2 {
		t.Fatalf("after the rollout: %s %v", td, deps)
	}
	if len(events) == 0 || !strings.Contains(events[0].(map[string]any)["message"].(string), "steady state") {
		t.Fatalf("a steady-state event is expected: %v", events)
	}
}

func TestFailingImageTripsTheCircuitBreaker(t *testing.T) {
	f, c, front := setup(t)
	ecsCall(t, front.URL, "UpdateService", map[string]any{"cluster": "c", "service": "demo", "taskDefinition": "td:2"})
	c.t = c.t.Add(5 * time.Second)
	deployments(t, front.URL)
	ecsCall(t, front.URL, "UpdateService", map[string]any{"cluster": "c", "service": "demo", "taskDefinition": "td:3"})
	c.t = c.t.Add(5 * time.Second)
	td, deps, events := deployments(t, front.URL)
	if td != "td:2" {
		t.Fatalf("the circuit breaker must restore td:2, service runs %s", td)
	}
	if deps[0]["taskDefinition"] != "td:2" || deps[0]["status"] != "PRIMARY" || deps[1]["taskDefinition"] != "td:3" || deps[1]["rolloutState"] != "FAILED" {
		t.Fatalf("deployments after the failure: %v", deps)
	}
	f.mu.Lock()
	updates := append([]string(nil), f.updates...)
	f.mu.Unlock()
	if len(updates) != 3 || updates[2] != "td:2" {
		t.Fatalf("the rollback must go through the backend so its state agrees: %v", updates)
	}
	msgs := ""
	for _, e := range events {
		msgs += e.(map[string]any)["message"].(string) + "\n"
	}
	if !strings.Contains(msgs, "deployment failed") || !strings.Contains(msgs, "rolling back") {
		t.Fatalf("events: %s", msgs)
	}
	// A later describe does not roll back again.
	deployments(t, front.URL)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.updates) != 3 {
		t.Fatalf("rolled back twice: %v", f.updates)
	}
}

func TestOtherOperationsPassThrough(t *testing.T) {
	f, _, front := setup(t)
	out := ecsCall(t, front.URL, "ListClusters", map[string]any{})
	if out["op"] != "ListClusters" {
		t.Fatalf("answer %v", out)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.received) != 1 || f.received[0] != "ListClusters" {
		t.Fatalf("backend received %v", f.received)
	}
}

func TestNewRejectsBadBackend(t *testing.T) {
	if _, err := New("127.0.0.1:4567"); err == nil || !strings.Contains(err.Error(), "not a URL") {
		t.Fatalf("want a clear error, got %v", err)
	}
}

func TestDeletedServiceForgetsItsRollout(t *testing.T) {
	_, _, front := setup(t)
	ecsCall(t, front.URL, "UpdateService", map[string]any{"cluster": "c", "service": "demo", "taskDefinition": "td:2"})
	ecsCall(t, front.URL, "DeleteService", map[string]any{"cluster": "c", "service": "demo"})
	if _, deps, _ := deployments(t, front.URL); len(deps) != 1 || deps[0]["taskDefinition"] != "td:1" {
		t.Fatalf("after DeleteService the backend's answer passes through again: %v", deps)
	}
}
