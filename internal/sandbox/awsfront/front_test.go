package awsfront

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/platformteam/delivery/internal/fake/ecs"
)

// fakeMoto records what reaches it and answers ECS the way moto does: the deployment a service was
// created with stays PRIMARY whatever UpdateService changed.
type fakeMoto struct {
	mu       sync.Mutex
	received []string // "<path> <operation>"
}

func (f *fakeMoto) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, _ := ecs.Operation(r.Header)
	f.mu.Lock()
	f.received = append(f.received, strings.TrimSpace(r.URL.Path+" "+op))
	f.mu.Unlock()
	svc := map[string]any{"serviceArn": "arn:svc/demo", "serviceName": "demo", "clusterArn": "arn:cluster/c",
		"taskDefinition": "td:2", "desiredCount": 1,
		"deployments": []any{map[string]any{"id": "ecs-svc/1", "status": "PRIMARY", "taskDefinition": "td:1", "rolloutState": "COMPLETED"}}}
	switch op {
	case "UpdateService":
		_ = json.NewEncoder(w).Encode(map[string]any{"service": svc})
	case "DescribeServices":
		_ = json.NewEncoder(w).Encode(map[string]any{"services": []any{svc}, "failures": []any{}})
	case "DescribeTaskDefinition":
		_ = json.NewEncoder(w).Encode(map[string]any{"taskDefinition": map[string]any{"containerDefinitions": []any{map[string]any{"image": "repo@sha256:2"}}}})
	default:
		_, _ = io.WriteString(w, "moto answered")
	}
}

func (f *fakeMoto) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.received...)
}

func newFront(t *testing.T) (*fakeMoto, string) {
	t.Helper()
	moto := &fakeMoto{}
	backend := httptest.NewServer(moto)
	t.Cleanup(backend.Close)
	front, err := New(Config{Backend: backend.URL})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(front)
	t.Cleanup(srv.Close)
	return moto, srv.URL
}

func post(t *testing.T, url, op string, body any) string {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if op != "" {
		ecs.SetOperation(req.Header, op)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: status %d: %s", url, op, res.StatusCode, out)
	}
	return string(out)
}

func primaryRollout(t *testing.T, url string) string {
	t.Helper()
	var out ecs.DescribeServicesResponse
	if err := json.Unmarshal([]byte(post(t, url+"/", "DescribeServices", ecs.DescribeServicesRequest{Cluster: "c", Services: []string{"demo"}})), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Services) != 1 || len(out.Services[0].Deployments) == 0 {
		t.Fatalf("DescribeServices answer %+v", out)
	}
	d := out.Services[0].Deployments[0]
	return d.TaskDefinition + " " + d.RolloutState
}

func TestOtherServicesGoToMotoUnchanged(t *testing.T) {
	moto, url := newFront(t)
	if got := post(t, url+"/some-bucket/key", "", nil); got != "moto answered" {
		t.Fatalf("answer %q", got)
	}
	if got := moto.got(); len(got) != 1 || got[0] != "/some-bucket/key" {
		t.Fatalf("moto received %v", got)
	}
}

func TestECSDeploymentsArePlayedOutAndResetForgetsThem(t *testing.T) {
	moto, url := newFront(t)
	if got := primaryRollout(t, url); got != "td:1 COMPLETED" {
		t.Fatalf("before any update moto's answer passes through: %s", got)
	}
	post(t, url+"/", "UpdateService", ecs.UpdateServiceRequest{Cluster: "c", Service: "demo", TaskDefinition: "td:2"})
	if got := primaryRollout(t, url); got != "td:2 IN_PROGRESS" {
		t.Fatalf("after UpdateService the simulator reports the new deployment: %s", got)
	}
	post(t, url+"/moto-api/reset", "", nil)
	if got := primaryRollout(t, url); got != "td:1 COMPLETED" {
		t.Fatalf("after a reset moto's answer passes through again: %s", got)
	}
	want := []string{"/ DescribeServices", "/ UpdateService", "/ DescribeTaskDefinition", "/ DescribeServices", "/moto-api/reset", "/ DescribeServices"}
	if got := moto.got(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("moto received %v, want %v", got, want)
	}
}

func TestNewRejectsBadBackend(t *testing.T) {
	if _, err := New(Config{Backend: "127.0.0.1:4567"}); err == nil || !strings.Contains(err.Error(), "not a URL") {
		t.Fatalf("want a clear error, got %v", err)
	}
}
