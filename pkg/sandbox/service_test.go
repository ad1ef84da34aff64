package sandbox

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fileService is a service whose process creates a marker file when it is "ready".
func fileService(t *testing.T, l Layout, script string, ports ...int) (service, string) {
	t.Helper()
	marker := filepath.Join(l.StateDir, "ready-marker")
	return service{
		name: "fake", version: "v0", ports: ports, readyTimeout: 5 * time.Second, stopGrace: 2 * time.Second,
		command: func() (*exec.Cmd, error) { return exec.Command("sh", "-c", script, "sh", marker), nil },
		ready: func(context.Context) error {
			if _, err := os.Stat(marker); err != nil {
				return errors.New("marker not written yet")
			}
			return nil
		},
	}, marker
}

func TestServiceStartsOnceAndStopsCleanly(t *testing.T) {
	l, _ := NewLayout(t.TempDir(), "", "")
	svc, _ := fileService(t, l, `sleep 0.2; touch "$1"; exec sleep 60`)
	var out bytes.Buffer
	started, err := svc.ensureRunning(context.Background(), l, &out)
	if err != nil || !started {
		t.Fatalf("first ensureRunning: started=%v err=%v\n%s", started, err, out.String())
	}
	first, _, _ := ReadPIDFile(l.PIDFile("fake"))

	started, err = svc.ensureRunning(context.Background(), l, &out)
	if err != nil || started {
		t.Fatalf("second ensureRunning: started=%v err=%v, want a no-op", started, err)
	}
	if again, _, _ := ReadPIDFile(l.PIDFile("fake")); again != first {
		t.Errorf("pid file changed from %+v to %+v", first, again)
	}
	if st := svc.status(context.Background(), l); !st.Up || st.PID != first.PID {
		t.Errorf("status = %+v, want up with pid %d", st, first.PID)
	}

	if err := svc.stop(l, &out); err != nil {
		t.Fatal(err)
	}
	if first.Alive() {
		t.Error("process alive after stop")
	}
	if _, err := os.Stat(l.PIDFile("fake")); !os.IsNotExist(err) {
		t.Errorf("pid file left behind: %v", err)
	}
	if st := svc.status(context.Background(), l); st.Up || st.Detail != "not started" {
		t.Errorf("status after stop = %+v", st)
	}
}

func TestServiceReplacesStalePIDFile(t *testing.T) {
	l, _ := NewLayout(t.TempDir(), "", "")
	svc, _ := fileService(t, l, `touch "$1"; exec sleep 60`)
	// A PID file from before a reboot: the PID (ours) exists but with another start time.
	os.MkdirAll(l.RunDir(), 0o755)
	os.WriteFile(l.PIDFile("fake"), []byte(PIDRecord{PID: os.Getpid(), StartTime: 1}.String()), 0o644)
	started, err := svc.ensureRunning(context.Background(), l, &bytes.Buffer{})
	if err != nil || !started {
		t.Fatalf("ensureRunning with a stale pid file: started=%v err=%v", started, err)
	}
	t.Cleanup(func() { svc.stop(l, &bytes.Buffer{}) })
	rec, _, _ := ReadPIDFile(l.PIDFile("fake"))
	if rec.PID == os.Getpid() {
		t.Error("stale record kept")
	}
}

func TestServiceRefusesATakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	l, _ := NewLayout(t.TempDir(), "", "")
	svc, _ := fileService(t, l, `touch "$1"; exec sleep 60`, ln.Addr().(*net.TCPAddr).Port)
	_, err = svc.ensureRunning(context.Background(), l, &bytes.Buffer{})
	var taken *PortTakenError
	if !errors.As(err, &taken) {
		t.Fatalf("ensureRunning on a taken port = %v, want PortTakenError", err)
	}
	if _, statErr := os.Stat(l.PIDFile("fake")); !os.IsNotExist(statErr) {
		t.Error("a process was started although the port was taken")
	}
}

func TestServiceThatExitsFailsFastWithItsLog(t *testing.T) {
	l, _ := NewLayout(t.TempDir(), "", "")
	svc, _ := fileService(t, l, `echo "config error: bad flag" >&2; exit 3`)
	svc.readyTimeout = time.Minute
	start := time.Now()
	_, err := svc.ensureRunning(context.Background(), l, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "config error: bad flag") || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("err = %v, want the exit and the log line", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("waited %s for a process that had exited", time.Since(start))
	}
}

func TestServiceRestartsWhenItsConfigurationChanges(t *testing.T) {
	l, _ := NewLayout(t.TempDir(), "", "")
	configFile := filepath.Join(l.StateDir, "fake.conf")
	os.MkdirAll(l.StateDir, 0o755)
	os.WriteFile(configFile, []byte("version 1"), 0o644)
	marker := filepath.Join(l.StateDir, "ready-marker")
	svc := service{
		name: "fake", version: "v0", readyTimeout: 5 * time.Second, stopGrace: 2 * time.Second,
		configFiles: []string{configFile},
		command: func() (*exec.Cmd, error) {
			return exec.Command("sh", "-c", `touch "$1"; exec sleep 60`, "sh", marker, "--config="+configFile), nil
		},
		ready: func(context.Context) error { _, err := os.Stat(marker); return err },
	}
	t.Cleanup(func() { svc.stop(l, &bytes.Buffer{}) })
	if _, err := svc.ensureRunning(context.Background(), l, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	first, _, _ := ReadPIDFile(l.PIDFile("fake"))
	if started, _ := svc.ensureRunning(context.Background(), l, &bytes.Buffer{}); started {
		t.Fatal("restarted although nothing changed")
	}

	os.WriteFile(configFile, []byte("version 2"), 0o644)
	var out bytes.Buffer
	started, err := svc.ensureRunning(context.Background(), l, &out)
	if err != nil || !started || !strings.Contains(out.String(), "configuration changed") {
		t.Fatalf("after a config change: started=%v err=%v output %q", started, err, out.String())
	}
	if first.Alive() {
		t.Error("the out-of-date process is still running")
	}
}
