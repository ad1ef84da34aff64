package proc

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

// fileProcess is a process that creates a marker file when it is "ready".
func fileProcess(t *testing.T, script string, ports ...int) (Process, string) {
	t.Helper()
	dir := t.TempDir()
	marker := filepath.Join(dir, "ready-marker")
	return Process{
		Name: "fake", Version: "v0", Ports: ports, ReadyTimeout: 5 * time.Second, StopPolicy: StopPolicy{Grace: 2 * time.Second},
		Files:   FilesIn(filepath.Join(dir, "run"), filepath.Join(dir, "logs"), "fake"),
		Command: func() (*exec.Cmd, error) { return exec.Command("sh", "-c", script, "sh", marker), nil },
		Ready: func(context.Context) error {
			if _, err := os.Stat(marker); err != nil {
				return errors.New("marker not written yet")
			}
			return nil
		},
	}, marker
}

func TestProcessStartsOnceAndStopsCleanly(t *testing.T) {
	svc, _ := fileProcess(t, `sleep 0.2; touch "$1"; exec sleep 60`)
	var out bytes.Buffer
	started, err := svc.Ensure(context.Background(), &out)
	if err != nil || !started {
		t.Fatalf("first ensureRunning: started=%v err=%v\n%s", started, err, out.String())
	}
	first, _, _ := ReadRecord(svc.Files.PID)

	started, err = svc.Ensure(context.Background(), &out)
	if err != nil || started {
		t.Fatalf("second ensureRunning: started=%v err=%v, want a no-op", started, err)
	}
	if again, _, _ := ReadRecord(svc.Files.PID); again != first {
		t.Errorf("pid file changed from %+v to %+v", first, again)
	}
	if st := svc.Status(context.Background()); !st.Up || st.PID != first.PID {
		t.Errorf("status = %+v, want up with pid %d", st, first.PID)
	}

	if err := svc.Stop(&out); err != nil {
		t.Fatal(err)
	}
	if first.Alive() {
		t.Error("process alive after stop")
	}
	if _, err := os.Stat(svc.Files.PID); !os.IsNotExist(err) {
		t.Errorf("pid file left behind: %v", err)
	}
	if st := svc.Status(context.Background()); st.Up || st.Detail != "not started" {
		t.Errorf("status after stop = %+v", st)
	}
}

func TestProcessReplacesStalePIDFile(t *testing.T) {
	svc, _ := fileProcess(t, `touch "$1"; exec sleep 60`)
	// A PID file from before a reboot: the PID (ours) exists but with another start time.
	os.MkdirAll(filepath.Dir(svc.Files.PID), 0o755)
	os.WriteFile(svc.Files.PID, []byte(Record{PID: os.Getpid(), StartTime: 1}.String()), 0o644)
	started, err := svc.Ensure(context.Background(), &bytes.Buffer{})
	if err != nil || !started {
		t.Fatalf("ensureRunning with a stale pid file: started=%v err=%v", started, err)
	}
	t.Cleanup(func() { svc.Stop(&bytes.Buffer{}) })
	rec, _, _ := ReadRecord(svc.Files.PID)
	if rec.PID == os.Getpid() {
		t.Error("stale record kept")
	}
}

func TestProcessRefusesATakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	svc, _ := fileProcess(t, `touch "$1"; exec sleep 60`, ln.Addr().(*net.TCPAddr).Port)
	_, err = svc.Ensure(context.Background(), &bytes.Buffer{})
	var taken *PortTakenError
	if !errors.As(err, &taken) {
		t.Fatalf("ensureRunning on a taken port = %v, want PortTakenError", err)
	}
	if _, statErr := os.Stat(svc.Files.PID); !os.IsNotExist(statErr) {
		t.Error("a process was started although the port was taken")
	}
}

func TestProcessThatExitsFailsFastWithItsLog(t *testing.T) {
	svc, _ := fileProcess(t, `echo "config error: bad flag" >&2; exit 3`)
	svc.ReadyTimeout = time.Minute
	start := time.Now()
	_, err := svc.Ensure(context.Background(), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "config error: bad flag") || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("err = %v, want the exit and the log line", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("waited %s for a process that had exited", time.Since(start))
	}
}

func TestProcessRestartsWhenItsConfigurationChanges(t *testing.T) {
	dir := t.TempDir()
	configFile := filepath.Join(dir, "fake.conf")
	os.WriteFile(configFile, []byte("version 1"), 0o644)
	marker := filepath.Join(dir, "ready-marker")
	svc := Process{
		Name: "fake", Version: "v0", ReadyTimeout: 5 * time.Second, StopPolicy: StopPolicy{Grace: 2 * time.Second},
		Files:       FilesIn(dir, dir, "fake"),
		ConfigFiles: []string{configFile},
		Command: func() (*exec.Cmd, error) {
			return exec.Command("sh", "-c", `touch "$1"; exec sleep 60`, "sh", marker, "--config="+configFile), nil
		},
		Ready: func(context.Context) error { _, err := os.Stat(marker); return err },
	}
	t.Cleanup(func() { svc.Stop(&bytes.Buffer{}) })
	if _, err := svc.Ensure(context.Background(), &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	first, _, _ := ReadRecord(svc.Files.PID)
	if started, _ := svc.Ensure(context.Background(), &bytes.Buffer{}); started {
		t.Fatal("restarted although nothing changed")
	}

	os.WriteFile(configFile, []byte("version 2"), 0o644)
	var out bytes.Buffer
	started, err := svc.Ensure(context.Background(), &out)
	if err != nil || !started || !strings.Contains(out.String(), "configuration changed") {
		t.Fatalf("after a config change: started=%v err=%v output %q", started, err, out.String())
	}
	if first.Alive() {
		t.Error("the out-of-date process is still running")
	}
}

func TestProcessLeftoversAreRemovedBeforeStartAndAfterStop(t *testing.T) {
	svc, _ := fileProcess(t, `touch "$1"; exec sleep 60`)
	socket := filepath.Join(filepath.Dir(svc.Files.PID), "engine.sock")
	svc.Leftovers = []string{socket}
	os.MkdirAll(filepath.Dir(socket), 0o755)
	os.WriteFile(socket, []byte("stale"), 0o644)
	var out bytes.Buffer
	if _, err := svc.Ensure(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(socket); !os.IsNotExist(err) {
		t.Fatalf("a stale leftover survived the start: %v", err)
	}
	os.WriteFile(socket, []byte("made by the process"), 0o644)
	if err := svc.Stop(&out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(socket); !os.IsNotExist(err) {
		t.Fatalf("the leftover survived the stop: %v", err)
	}
}

// A process started by another checkout (its binary built from other sources) is up, but out of date
// for this one: Status says so, so that a test brings the sandbox up instead of running against it.
func TestProcessStatusReportsAnotherExecutableAsOutOfDate(t *testing.T) {
	svc, _ := fileProcess(t, `touch "$1"; exec sleep 60`)
	t.Cleanup(func() { svc.Stop(&bytes.Buffer{}) })
	if _, err := svc.Ensure(context.Background(), &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	svc.Executable = sleep
	if st := svc.Status(context.Background()); !st.Up {
		t.Fatalf("status with the executable it runs = %+v, want up", st)
	}
	other := filepath.Join(t.TempDir(), "fake-src-other", "fake")
	svc.Executable = other
	st := svc.Status(context.Background())
	if st.Up || !strings.Contains(st.Detail, "out of date") || !strings.Contains(st.Detail, other) {
		t.Fatalf("status with another executable = %+v, want down, out of date, naming %s", st, other)
	}
}
