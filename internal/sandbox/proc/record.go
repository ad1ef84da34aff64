package proc

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

	"github.com/platformteam/delivery/internal/atomicfile"
)

// Record identifies one started process. The start time (from /proc/<pid>/stat) guards against a
// recycled PID: a different process with the same PID never matches.
type Record struct {
	PID       int
	StartTime uint64 // clock ticks since boot, field 22 of /proc/<pid>/stat
}

// String is the PID file's content.
func (r Record) String() string { return fmt.Sprintf("%d %d\n", r.PID, r.StartTime) }

// ParseRecord reads a PID file's content ("<pid> <start-time>").
func ParseRecord(s string) (Record, error) {
	fields := strings.Fields(s)
	if len(fields) != 2 {
		return Record{}, fmt.Errorf("pid file content %q: want \"<pid> <start-time>\"", strings.TrimSpace(s))
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil || pid <= 0 {
		return Record{}, fmt.Errorf("pid file content %q: bad pid", strings.TrimSpace(s))
	}
	start, err := strconv.ParseUint(fields[1], 10, 64)
	if err != nil {
		return Record{}, fmt.Errorf("pid file content %q: bad start time", strings.TrimSpace(s))
	}
	return Record{PID: pid, StartTime: start}, nil
}

// RecordOf is the record of a running pid, read from /proc.
func RecordOf(pid int) (Record, error) {
	start, err := processStartTime(pid)
	if err != nil {
		return Record{}, err
	}
	return Record{PID: pid, StartTime: start}, nil
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

// Alive reports whether the recorded process is still the one that was started and has not exited.
func (r Record) Alive() bool {
	start, err := processStartTime(r.PID)
	if err != nil || start != r.StartTime {
		return false
	}
	state := processState(r.PID)
	return state != "Z" && state != "X"
}

// Children lists the process's child processes (over all its threads: a child belongs to the thread
// that forked it).
func (r Record) Children() []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", r.PID))
	var out []int
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// ReadRecord loads a PID file; a missing file returns ok=false and no error.
func ReadRecord(path string) (rec Record, ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("read %s: %w", path, err)
	}
	rec, err = ParseRecord(string(data))
	if err != nil {
		return Record{}, false, fmt.Errorf("%s: %w (delete the file if no sandbox process is running)", path, err)
	}
	return rec, true, nil
}

// WriteRecord stores rec as the PID file at path.
func WriteRecord(path string, rec Record) error {
	return atomicfile.Write(path, []byte(rec.String()), 0o644)
}

// Start starts cmd in its own session (so it outlives the caller and its whole process group can be
// signalled), with stdout and stderr appended to logPath, and records it in pidPath.
func Start(cmd *exec.Cmd, pidPath, logPath string) (Record, error) {
	for _, dir := range []string{filepath.Dir(pidPath), filepath.Dir(logPath)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Record{}, fmt.Errorf("create %s: %w", dir, err)
		}
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return Record{}, fmt.Errorf("open log %s: %w", logPath, err)
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "\n==== %s starting: %s\n", time.Now().UTC().Format(time.RFC3339), strings.Join(cmd.Args, " "))
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		return Record{}, err
	}
	defer devNull.Close()
	cmd.Stdin = devNull
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	closeInheritedOnExec()
	if err := cmd.Start(); err != nil {
		return Record{}, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	pid := cmd.Process.Pid
	// Reap the child if it exits while we are still running, so Alive never sees a zombie of ours.
	go func() { _ = cmd.Wait() }()
	rec, err := RecordOf(pid)
	if err != nil {
		// It has exited, so everything it wrote is in the log: show it, not only where it is.
		return Record{}, fmt.Errorf("%s exited right after starting; last lines of %s:\n%s", cmd.Path, logPath, Tail(logPath, 20))
	}
	if err := WriteRecord(pidPath, rec); err != nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		return Record{}, err
	}
	return rec, nil
}

// closeInheritedOnExec marks every descriptor of this process above stderr close-on-exec, so a detached
// child gets only its stdin, stdout and stderr. A descriptor this process inherited without that flag
// (the lock file of a wrapper that runs `sandbox up` under flock, say) would otherwise stay open in the
// child for as long as it runs, and keep that lock taken after the wrapper is gone.
func closeInheritedOnExec() {
	entries, _ := os.ReadDir("/proc/self/fd")
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}

// StopPolicy is how a process is stopped.
type StopPolicy struct {
	// Grace is how long to wait after SIGTERM for the process to exit.
	Grace time.Duration
	// SignalChild sends SIGTERM to the process's first child only, instead of its whole process group:
	// for an init (tini) inside a PID namespace that forwards it, where the process itself (unshare)
	// ignores it.
	SignalChild bool
	// NoKill, when set, says why the process must never get SIGKILL (it would wipe its cache, say):
	// Stop then gives up after Grace and leaves it running, and the error says why.
	NoKill string
}

// Stop ends the recorded process as policy says: SIGTERM, a wait of up to Grace, then (unless NoKill)
// SIGKILL and another wait. It returns once the process is gone, or an error saying what is left.
func (r Record) Stop(policy StopPolicy) error {
	if !r.Alive() {
		return nil
	}
	signal := func(sig syscall.Signal) error {
		if err := syscall.Kill(-r.PID, sig); err != nil {
			return syscall.Kill(r.PID, sig)
		}
		return nil
	}
	target := r.PID
	if policy.SignalChild {
		if kids := r.Children(); len(kids) > 0 {
			target = kids[0]
		}
		signal = func(sig syscall.Signal) error { return syscall.Kill(target, sig) }
	}
	if err := signal(syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal pid %d: %w", target, err)
	}
	if r.waitExit(policy.Grace) {
		return nil
	}
	if policy.NoKill != "" {
		return fmt.Errorf("pid %d is still running %s after SIGTERM, and is not killed because %s: retry, or `kill -TERM %d`",
			r.PID, policy.Grace, policy.NoKill, target)
	}
	_ = signal(syscall.SIGKILL)
	if r.waitExit(10 * time.Second) {
		return fmt.Errorf("pid %d ignored SIGTERM for %s and was killed", r.PID, policy.Grace)
	}
	return fmt.Errorf("pid %d is still running after SIGKILL: check it with `ps -p %d`", r.PID, r.PID)
}

func (r Record) waitExit(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !r.Alive() {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return !r.Alive()
}

// LastLines is the last n lines of s.
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Tail is the last n lines of the file at path (a log), for error messages.
func Tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	return LastLines(string(data), n)
}
