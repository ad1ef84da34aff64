package ecs

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestOperation(t *testing.T) {
	h := http.Header{}
	if _, ok := Operation(h); ok {
		t.Fatal("a request without X-Amz-Target is not an ECS call")
	}
	SetOperation(h, "UpdateService")
	if op, ok := Operation(h); !ok || op != "UpdateService" || h.Get("X-Amz-Target") != "AmazonEC2ContainerServiceV20141113.UpdateService" {
		t.Fatalf("Operation = %q, %v (header %q)", op, ok, h.Get("X-Amz-Target"))
	}
	h.Set("X-Amz-Target", "AmazonSSM.GetParameter")
	if _, ok := Operation(h); ok {
		t.Fatal("another service's call is not an ECS call")
	}
}

func TestWriteErrorIsWhatTheSDKsParse(t *testing.T) {
	w := httptest.NewRecorder()
	WriteError(w, "ServiceNotFoundException", "Service not found.")
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusBadRequest || w.Header().Get("Content-Type") != ContentType ||
		body["__type"] != "ServiceNotFoundException" || body["message"] != "Service not found." {
		t.Fatalf("status %d, content type %q, body %v", w.Code, w.Header().Get("Content-Type"), body)
	}
}

func TestParseTaskDefinition(t *testing.T) {
	cases := map[string]struct {
		family   string
		revision int
	}{
		"demo":   {"demo", 0},
		"demo:3": {"demo", 3},
		"demo:x": {"demo", -1},
		"demo:0": {"demo", -1},
		TaskDefinitionARN("ap-southeast-2", "123456789012", "demo-app", 12): {"demo-app", 12},
	}
	for ref, want := range cases {
		if family, rev := ParseTaskDefinition(ref); family != want.family || rev != want.revision {
			t.Errorf("ParseTaskDefinition(%q) = %q, %d; want %q, %d", ref, family, rev, want.family, want.revision)
		}
	}
	if got := ShortName(ServiceARN("r", "a", "c", "svc")); got != "svc" {
		t.Errorf("ShortName of a service ARN = %q", got)
	}
}

func TestEpochKeepsFractions(t *testing.T) {
	at := time.Unix(1767225600, 500_000_000)
	if got := Epoch(at); got != 1767225600.5 {
		t.Fatalf("Epoch = %v", got)
	}
}
