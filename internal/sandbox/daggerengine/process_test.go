package daggerengine

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A pid file an older sandbox wrote ("<pid>" alone) is kept, as a record, only while that pid is still
// this state dir's engine; a reused pid (another process) must not count as the engine.
func TestLegacyPIDFileIsMigratedOnlyForOurEngine(t *testing.T) {
	l, err := newPaths(Options{CacheDir: t.TempDir(), StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.process(nil).Running(); ok {
		t.Fatal("no pid file: want not running")
	}
	if err := os.WriteFile(l.pidFile(), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := migrateLegacyPIDFile(l); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.process(nil).Running(); ok {
		t.Fatal("foreign process taken for the engine")
	}
	if _, err := os.Stat(l.pidFile()); !os.IsNotExist(err) {
		t.Fatalf("the stale legacy pid file was kept: %v", err)
	}

	// A process whose command line names this state dir's start script stands for our unshare. The
	// shell must stay the process (no exec of its last command), or its command line becomes "sleep 30".
	engine := exec.Command("sh", "-c", "sleep 30; true", l.startScript())
	if err := engine.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = engine.Process.Kill(); _ = engine.Wait() })
	waitForCmdline(t, engine.Process.Pid, l.startScript())
	if err := os.WriteFile(l.pidFile(), []byte(strconv.Itoa(engine.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := migrateLegacyPIDFile(l); err != nil {
		t.Fatal(err)
	}
	if rec, ok := l.process(nil).Running(); !ok || rec.PID != engine.Process.Pid {
		t.Fatalf("our engine's legacy pid file: running=%v record %+v", ok, rec)
	}
	if filepath.Dir(l.pidFile()) != l.stateDir {
		t.Fatal("pid file outside the state dir")
	}
}

func waitForCmdline(t *testing.T, pid int, text string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline")); strings.Contains(string(b), text) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("process %d never showed %q in its command line", pid, text)
}

func TestUnescapeMount(t *testing.T) {
	if got := unescapeMount(`/a\040b/c\134d`); got != `/a b/c\d` {
		t.Fatalf("got %q", got)
	}
}
