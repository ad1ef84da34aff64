package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PIDRecord identifies one process the sandbox started. The start time (from /proc/<pid>/stat)
// guards against a recycled PID: a different process with the same PID never matches.
type PIDRecord struct {
	PID       int
	StartTime uint64 // clock ticks since boot, field 22 of /proc/<pid>/stat
}

// String is the PID file's content.
func (r PIDRecord) String() string { return fmt.Sprintf("%d %d\n", r.PID, r.StartTime) }

// ParsePIDRecord reads a PID file's content ("<pid> <start-time>").
func ParsePIDRecord(s string) (PIDRecord, error) {
	fields := strings.Fields(s)
	if len(fields) != 2 {
		return PIDRecord{}, fmt.Errorf("pid file content %q: want \"<pid> <start-time>\"", strings.TrimSpace(s))
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil || pid <= 0 {
		return PIDRecord{}, fmt.Errorf("pid file content %q: bad pid", strings.TrimSpace(s))
	}
	start, err := strconv.ParseUint(fields[1], 10, 64)
	if err != nil {
		return PIDRecord{}, fmt.Errorf("pid file content %q: bad start time", strings.TrimSpace(s))
	}
	return PIDRecord{PID: pid, StartTime: start}, nil
}

// processStartTime reads the start time of pid from /proc, or an error when it does not exist.
func processStartTime(pid int) (uint64, error) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	return parseStatStartTime(string(data))
}

// parseStatStartTime extracts field 22 of /proc/<pid>/stat. The command name (field 2) is in
// parentheses and may contain spaces, so fields are counted after its closing parenthesis.
func parseStatStartTime(stat string) (uint64, error) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("malformed /proc stat line")
	}
	fields := strings.Fields(stat[end+1:])
	// fields[0] is field 3 (state); field 22 is fields[19].
	if len(fields) < 20 {
		return 0, fmt.Errorf("malformed /proc stat line: %d fields", len(fields))
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// processState reads the one-letter state (field 3) of pid; "Z" is a zombie.
func processState(pid int) string {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return ""
	}
	s := string(data)
	end := strings.LastIndexByte(s, ')')
	if end < 0 || end+3 > len(s) {
		return ""
	}
	return s[end+2 : end+3]
}

// Alive reports whether the recorded process is still the one the sandbox started and has not exited.
func (r PIDRecord) Alive() bool {
	start, err := processStartTime(r.PID)
	if err != nil || start != r.StartTime {
		return false
	}
	return processState(r.PID) != "Z"
}

// ReadPIDFile loads a PID file; a missing file returns ok=false and no error.
func ReadPIDFile(path string) (rec PIDRecord, ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return PIDRecord{}, false, nil
	}
	if err != nil {
		return PIDRecord{}, false, fmt.Errorf("read %s: %w", path, err)
	}
	rec, err = ParsePIDRecord(string(data))
	if err != nil {
		return PIDRecord{}, false, fmt.Errorf("%s: %w (delete the file if no sandbox process is running)", path, err)
	}
	return rec, true, nil
}

// StartDetached starts cmd in its own session (so it outlives the caller and its whole process group
// can be signalled), with stdout and stderr appended to logPath, and records it in pidPath.
func StartDetached(cmd *exec.Cmd, pidPath, logPath string) (PIDRecord, error) {
	for _, dir := range []string{filepath.Dir(pidPath), filepath.Dir(logPath)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return PIDRecord{}, fmt.Errorf("create %s: %w", dir, err)
		}
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return PIDRecord{}, fmt.Errorf("open log %s: %w", logPath, err)
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "\n==== %s starting: %s\n", time.Now().UTC().Format(time.RFC3339), strings.Join(cmd.Args, " "))
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		return PIDRecord{}, err
	}
	defer devNull.Close()
	cmd.Stdin = devNull
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return PIDRecord{}, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	pid := cmd.Process.Pid
	// Reap the child if it exits while we are still running, so Alive never sees a zombie of ours.
	go func() { _ = cmd.Wait() }()
	start, err := processStartTime(pid)
	if err != nil {
		// It has exited, so everything it wrote is in the log: show it, not only where it is.
		logged, _ := os.ReadFile(logPath)
		return PIDRecord{}, fmt.Errorf("%s exited right after starting; last lines of %s:\n%s", cmd.Path, logPath, lastLines(string(logged), 20))
	}
	rec := PIDRecord{PID: pid, StartTime: start}
	if err := writeFileAtomic(pidPath, []byte(rec.String()), 0o644); err != nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		return PIDRecord{}, err
	}
	return rec, nil
}

// Stop sends SIGTERM to the recorded process group, waits up to grace for the process to exit, then
// sends SIGKILL and waits again. It returns once the process is gone.
func (r PIDRecord) Stop(grace time.Duration) error {
	if !r.Alive() {
		return nil
	}
	signalGroup := func(sig syscall.Signal) {
		if err := syscall.Kill(-r.PID, sig); err != nil {
			_ = syscall.Kill(r.PID, sig)
		}
	}
	signalGroup(syscall.SIGTERM)
	if r.waitExit(grace) {
		return nil
	}
	signalGroup(syscall.SIGKILL)
	if r.waitExit(10 * time.Second) {
		return fmt.Errorf("pid %d ignored SIGTERM for %s and was killed", r.PID, grace)
	}
	return fmt.Errorf("pid %d is still running after SIGKILL: check it with `ps -p %d`", r.PID, r.PID)
}

func (r PIDRecord) waitExit(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !r.Alive() {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return !r.Alive()
}
