package daggerengine

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestAliveTreatsZombiesAsDead(t *testing.T) {
	if !alive(os.Getpid()) {
		t.Fatal("this process should be alive")
	}
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	// Not waited for yet: once it exits it is a zombie until reaped.
	deadline := time.Now().Add(10 * time.Second)
	for alive(cmd.Process.Pid) {
		if time.Now().After(deadline) {
			t.Fatalf("exited child %d still reported alive", cmd.Process.Pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestChildren(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	found := false
	for _, c := range children(os.Getpid()) {
		found = found || c == cmd.Process.Pid
	}
	if !found {
		t.Fatalf("child %d not listed in %v", cmd.Process.Pid, children(os.Getpid()))
	}
}

func TestRunningPIDIgnoresForeignProcess(t *testing.T) {
	l, err := newPaths(Options{CacheDir: t.TempDir(), StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := runningPID(l); ok {
		t.Fatal("no pid file: want not running")
	}
	// A live pid that is not our unshare (pid reuse) must not count as the engine.
	if err := os.WriteFile(l.pidFile(), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := runningPID(l); ok {
		t.Fatal("foreign process taken for the engine")
	}
	if filepath.Dir(l.pidFile()) != l.stateDir {
		t.Fatal("pid file outside the state dir")
	}
}

func TestUnescapeMount(t *testing.T) {
	if got := unescapeMount(`/a\040b/c\134d`); got != `/a b/c\d` {
		t.Fatalf("got %q", got)
	}
}
