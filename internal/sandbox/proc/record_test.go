package proc

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseRecord(t *testing.T) {
	rec, err := ParseRecord("123 456789\n")
	if err != nil || rec != (Record{PID: 123, StartTime: 456789}) {
		t.Fatalf("ParseRecord = %+v, %v", rec, err)
	}
	if rec.String() != "123 456789\n" {
		t.Errorf("String() = %q", rec.String())
	}
	for _, bad := range []string{"", "123", "abc 1", "-4 1", "12 x", "1 2 3"} {
		if _, err := ParseRecord(bad); err == nil {
			t.Errorf("ParseRecord(%q) accepted bad content", bad)
		}
	}
}

func TestParseStatStartTimeHandlesSpacesInCommandName(t *testing.T) {
	// Field 2 is "(my (odd) cmd)"; field 22 (start time) is 98765.
	fields := make([]string, 0, 20)
	for i := 3; i <= 21; i++ {
		fields = append(fields, "0")
	}
	stat := "42 (my (odd) cmd) " + strings.Join(fields, " ") + " 98765 1 2 3"
	got, err := parseStatStartTime(stat)
	if err != nil || got != 98765 {
		t.Fatalf("parseStatStartTime = %d, %v; want 98765", got, err)
	}
	if _, err := parseStatStartTime("garbage"); err == nil {
		t.Error("garbage accepted")
	}
}

func TestOwnProcessIsAliveAndRecycledPIDIsNot(t *testing.T) {
	start, err := processStartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if !(Record{PID: os.Getpid(), StartTime: start}).Alive() {
		t.Error("this test process is not alive according to its own record")
	}
	if (Record{PID: os.Getpid(), StartTime: start + 1}).Alive() {
		t.Error("a record with another start time (a recycled PID) matched")
	}
}

func TestStartAndStop(t *testing.T) {
	dir := t.TempDir()
	pidPath, logPath := filepath.Join(dir, "run", "sleeper.pid"), filepath.Join(dir, "logs", "sleeper.log")
	rec, err := Start(exec.Command("sh", "-c", "echo started; exec sleep 60"), pidPath, logPath)
	if err != nil {
		t.Fatal(err)
	}
	stored, ok, err := ReadRecord(pidPath)
	if err != nil || !ok || stored != rec {
		t.Fatalf("pid file holds %+v (ok=%v, err=%v), want %+v", stored, ok, err, rec)
	}
	if !rec.Alive() {
		t.Fatal("started process is not alive")
	}
	if err := rec.Stop(StopPolicy{Grace: 5 * time.Second}); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if rec.Alive() {
		t.Fatal("process still alive after Stop")
	}
	if log, _ := os.ReadFile(logPath); !strings.Contains(string(log), "started") {
		t.Errorf("log %q does not hold the process output", log)
	}
}

func TestStopEscalatesToKillWhenTermIsIgnored(t *testing.T) {
	dir := t.TempDir()
	pidPath := filepath.Join(dir, "stubborn.pid")
	rec, err := Start(exec.Command("sh", "-c", "trap '' TERM; printf 'ARMED%s\\n' OK; exec sleep 60"), pidPath, filepath.Join(dir, "stubborn.log"))
	if err != nil {
		t.Fatal(err)
	}
	// The log's header line holds the command itself, so wait for text only the running shell prints.
	waitForLog(t, filepath.Join(dir, "stubborn.log"), "ARMEDOK")
	err = rec.Stop(StopPolicy{Grace: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Stop = %v, want a note that the process was killed", err)
	}
	if rec.Alive() {
		t.Fatal("process survived SIGKILL")
	}
}

func TestReadRecordMissingIsNotAnError(t *testing.T) {
	_, ok, err := ReadRecord(filepath.Join(t.TempDir(), "none.pid"))
	if ok || err != nil {
		t.Errorf("missing pid file: ok=%v err=%v, want false, nil", ok, err)
	}
}

func waitForLog(t *testing.T, path, text string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if data, _ := os.ReadFile(path); strings.Contains(string(data), text) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never contained %q", path, text)
}

func TestStopSignalChildLeavesTheParentAlone(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "parent.log")
	// The parent stands for unshare, the child for the init (tini) that must get the signal.
	rec, err := Start(exec.Command("sh", "-c", `trap 'printf "PARENT%s\n" -TERMED' TERM; sleep 60 & printf 'CHILD%s\n' -UP; wait; wait; printf 'PARENT%s\n' -DONE`),
		filepath.Join(dir, "parent.pid"), logPath)
	if err != nil {
		t.Fatal(err)
	}
	waitForLog(t, logPath, "CHILD-UP")
	// Until the forked shell has become sleep, it still has the parent's trap and would swallow the signal.
	deadline := time.Now().Add(5 * time.Second)
	for {
		kids := rec.Children()
		if len(kids) == 1 {
			if comm, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(kids[0]), "comm")); strings.TrimSpace(string(comm)) == "sleep" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("children of %d = %v, want the one sleep", rec.PID, kids)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := rec.Stop(StopPolicy{Grace: 5 * time.Second, SignalChild: true}); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	log, _ := os.ReadFile(logPath)
	if strings.Contains(string(log), "PARENT-TERMED") || !strings.Contains(string(log), "PARENT-DONE") {
		t.Fatalf("the parent was signalled, or did not end when its child did:\n%s", log)
	}
}

func TestStopNoKillLeavesAStubbornProcessRunning(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "stubborn.log")
	rec, err := Start(exec.Command("sh", "-c", "trap '' TERM; printf 'ARMED%s\\n' OK; exec sleep 60"), filepath.Join(dir, "stubborn.pid"), logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rec.Stop(StopPolicy{Grace: time.Second}) })
	waitForLog(t, logPath, "ARMEDOK")
	err = rec.Stop(StopPolicy{Grace: 300 * time.Millisecond, NoKill: "a kill would wipe its cache"})
	if err == nil || !strings.Contains(err.Error(), "not killed because a kill would wipe its cache") {
		t.Fatalf("Stop = %v, want the reason it was not killed", err)
	}
	if !rec.Alive() {
		t.Fatal("a NoKill process was killed")
	}
}

func TestAliveTreatsZombiesAsDead(t *testing.T) {
	self, err := RecordOf(os.Getpid())
	if err != nil || !self.Alive() {
		t.Fatalf("this process should be alive: %+v %v", self, err)
	}
	cmd := exec.Command("sleep", "0.3")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	rec, err := RecordOf(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	// Not waited for yet: once it exits it is a zombie until reaped.
	deadline := time.Now().Add(10 * time.Second)
	for rec.Alive() {
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
	self := Record{PID: os.Getpid()}
	found := false
	for _, c := range self.Children() {
		found = found || c == cmd.Process.Pid
	}
	if !found {
		t.Fatalf("child %d not listed in %v", cmd.Process.Pid, self.Children())
	}
}

// A descriptor this process inherited without close-on-exec (a wrapper's lock file) must not live on in
// a detached child.
func TestStartPassesOnlyStdio(t *testing.T) {
	dir := t.TempDir()
	lockPath := filepath.Join(dir, "wrapper.lock")
	fd, err := syscall.Open(lockPath, syscall.O_CREAT|syscall.O_RDWR, 0o644) // no O_CLOEXEC, as a shell's `exec 9>file`
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	logPath := filepath.Join(dir, "child.log")
	rec, err := Start(exec.Command("sh", "-c", `ls -l /proc/$$/fd; printf 'LISTED%s\n' -FDS; exec sleep 60`), filepath.Join(dir, "child.pid"), logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rec.Stop(StopPolicy{Grace: 5 * time.Second}) })
	waitForLog(t, logPath, "LISTED-FDS")
	if log, _ := os.ReadFile(logPath); strings.Contains(string(log), "wrapper.lock") {
		t.Fatalf("the child inherited the lock file's descriptor:\n%s", log)
	}
}
