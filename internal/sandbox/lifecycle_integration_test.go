//go:build integration && sandbox_lifecycle

// The lifecycle test stops the shared sandbox, so it must not run beside other integration tests:
// run it on its own with `go test -tags 'integration sandbox_lifecycle' -run Lifecycle ./internal/sandbox/`.
// It leaves the sandbox up, as it found it.

package sandbox_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/platformteam/delivery/internal/sandbox"
	"github.com/platformteam/delivery/internal/sandbox/kube"
	"github.com/platformteam/delivery/internal/sandbox/proc"
)

func lifecycleOptions(t *testing.T) (sandbox.Options, *bytes.Buffer) {
	t.Helper()
	wd, _ := os.Getwd()
	layout, err := sandbox.DiscoverLayout(wd)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	return sandbox.Options{Layout: layout, Progress: &out}, &out
}

var sandboxPorts = func() []int {
	ports := []int{sandbox.MotoPort, sandbox.MotoBackendPort, sandbox.RegistryPort, kube.EtcdClientPort, kube.EtcdPeerPort, kube.TwinControlPort}
	for i := range sandbox.ClusterEnvironments {
		p := kube.PortsOf(i)
		ports = append(ports, p.APIServer, p.ControllerManager, p.Scheduler, p.Proxy)
	}
	return ports
}()

func pidFiles(t *testing.T, l sandbox.Layout) map[string]string {
	t.Helper()
	entries, _ := os.ReadDir(l.RunDir())
	out := map[string]string{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".pid") {
			continue
		}
		data, _ := os.ReadFile(l.RunDir() + "/" + e.Name())
		out[e.Name()] = string(data)
	}
	return out
}

func TestLifecycleUpTwiceThenDownLeavesNothing(t *testing.T) {
	opts, out := lifecycleOptions(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel()

	// Restore the Dagger engine at the end if it was running (down stops it too).
	daggerWasUp := sandbox.Status(ctx, opts).Dagger.Up
	if _, err := sandbox.Up(ctx, opts); err != nil {
		t.Fatalf("first up: %v\n%s", err, out)
	}
	before := pidFiles(t, opts.Layout)
	out.Reset()
	if _, err := sandbox.Up(ctx, opts); err != nil {
		t.Fatalf("second up: %v\n%s", err, out)
	}
	if strings.Contains(out.String(), "starting ") || strings.Contains(out.String(), "building ") {
		t.Errorf("second up started or built something:\n%s", out)
	}
	if after := pidFiles(t, opts.Layout); len(after) != len(before) || len(before) < 7 {
		t.Errorf("pid files changed on the second up: before %v after %v", before, after)
	} else {
		for k, v := range before {
			if after[k] != v {
				t.Errorf("%s changed from %q to %q", k, v, after[k])
			}
		}
	}

	var records []proc.Record
	for name, content := range before {
		rec, err := proc.ParseRecord(content)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		records = append(records, rec)
	}
	if err := sandbox.Down(ctx, opts, false); err != nil {
		t.Fatalf("down: %v\n%s", err, out)
	}
	for _, rec := range records {
		if rec.Alive() {
			t.Errorf("pid %d still running after down", rec.PID)
		}
	}
	for _, port := range sandboxPorts {
		if proc.PortListening(proc.Host, port) {
			t.Errorf("port %d still listening after down", port)
		}
	}
	if _, err := os.Stat(opts.Layout.EnvFile()); !os.IsNotExist(err) {
		t.Errorf("env file still present after down: %v", err)
	}
	if report := sandbox.Status(ctx, opts); report.AllUp() || report.Dagger.Up {
		t.Error("status reports a component up after down")
	}
	if err := sandbox.Down(ctx, opts, false); err != nil {
		t.Errorf("down on a stopped sandbox: %v", err)
	}

	// Leave the sandbox as we found it.
	opts.WithDagger = daggerWasUp
	if _, err := sandbox.Up(ctx, opts); err != nil {
		t.Fatalf("up after down: %v\n%s", err, out)
	}
}
