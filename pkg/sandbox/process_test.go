package sandbox

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParsePIDRecord(t *testing.T) {
	rec, err := ParsePIDRecord("123 456789\n")
	if err != nil || rec != (PIDRecord{PID: 123, StartTime: 456789}) {
		t.Fatalf("ParsePIDRecord = %+v, %v", rec, err)
	}
	if rec.String() != "123 456789\n" {
		t.Errorf("String() = %q", rec.String())
	}
	for _, bad := range []string{"", "123", "abc 1", "-4 1", "12 x", "1 2 3"} {
		if _, err := ParsePIDRecord(bad); err == nil {
			t.Errorf("ParsePIDRecord(%q) accepted bad content", bad)
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
	if !(PIDRecord{PID: os.Getpid(), StartTime: start}).Alive() {
		t.Error("this test process is not alive according to its own record")
	}
	if (PIDRecord{PID: os.Getpid(), StartTime: start + 1}).Alive() {
		t.Error("a record with another start time (a recycled PID) matched")
	}
}

func TestStartDetachedAndStop(t *testing.T) {
	dir := t.TempDir()
	pidPath, logPath := filepath.Join(dir, "run", "sleeper.pid"), filepath.Join(dir, "logs", "sleeper.log")
	rec, err := StartDetached(exec.Command("sh", "-c", "echo started; exec sleep 60"), pidPath, logPath)
	if err != nil {
		t.Fatal(err)
	}
	stored, ok, err := ReadPIDFile(pidPath)
	if err != nil || !ok || stored != rec {
		t.Fatalf("pid file holds %+v (ok=%v, err=%v), want %+v", stored, ok, err, rec)
	}
	if !rec.Alive() {
		t.Fatal("started process is not alive")
	}
	if err := rec.Stop(5 * time.Second); err != nil {
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
	rec, err := StartDetached(exec.Command("sh", "-c", "trap '' TERM; printf 'ARMED%s\\n' OK; exec sleep 60"), pidPath, filepath.Join(dir, "stubborn.log"))
	if err != nil {
		t.Fatal(err)
	}
	// The log's header line holds the command itself, so wait for text only the running shell prints.
	waitForLog(t, filepath.Join(dir, "stubborn.log"), "ARMEDOK")
	err = rec.Stop(300 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Stop = %v, want a note that the process was killed", err)
	}
	if rec.Alive() {
		t.Fatal("process survived SIGKILL")
	}
}

func TestReadPIDFileMissingIsNotAnError(t *testing.T) {
	_, ok, err := ReadPIDFile(filepath.Join(t.TempDir(), "none.pid"))
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
