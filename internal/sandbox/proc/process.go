// Package proc is the sandbox's one process supervisor. Every process the sandbox runs in the
// background (moto, the AWS endpoint, the registry, etcd, Kubernetes, kwok, the Dagger engine, and the
// private moto servers of the stack engine's tests) is a Process: started detached with its output
// appended to a log file, recorded in a PID file with its start time (so a recycled PID never counts),
// waited for until a readiness check passes while it is alive, restarted when its configuration
// fingerprint changes, stopped gracefully (SIGTERM, a grace period, then SIGKILL unless its policy
// forbids it) with a wait until it is gone, and reported by Status without side effects.
package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/platformteam/delivery/internal/atomicfile"
)

// Host is the loopback address every supervised process listens on.
const Host = "127.0.0.1"

// Files are where a process's record, log and configuration fingerprint live.
type Files struct {
	PID    string
	Log    string
	Config string // the fingerprint of the configuration it was started with
}

// FilesIn are the files of process name: <runDir>/<name>.pid and .config, <logDir>/<name>.log.
func FilesIn(runDir, logDir, name string) Files {
	return Files{
		PID:    filepath.Join(runDir, name+".pid"),
		Log:    filepath.Join(logDir, name+".log"),
		Config: filepath.Join(runDir, name+".config"),
	}
}

// Process is one long-running background process.
type Process struct {
	Name    string
	Version string
	// Ports are every TCP port the process listens on (on Host); the first is its address.
	Ports []int
	Files Files
	// Command builds the process to start, writing whatever configuration files it reads first.
	Command func() (*exec.Cmd, error)
	// ConfigFiles are the files whose content configures the process: a change restarts it.
	ConfigFiles []string
	// Ready checks, without side effects, that the process answers as its clients need it.
	Ready        func(ctx context.Context) error
	ReadyTimeout time.Duration
	StopPolicy   StopPolicy
	// Leftovers are files the process leaves behind (a unix socket): removed before it starts and
	// after it stops.
	Leftovers []string
	// Executable, when set, is the program this checkout runs for the process (a binary built from
	// its sources, keyed by their hash). Status reports a running process whose program is another
	// one (built by another checkout's `up`) as out of date, so a test brings the sandbox up again
	// instead of running against it.
	Executable string
}

// Address is Host:<first port>, or "-" for a process that listens on no TCP port.
func (p Process) Address() string {
	if len(p.Ports) == 0 {
		return "-"
	}
	return fmt.Sprintf("%s:%d", Host, p.Ports[0])
}

// Ensure starts the process unless the one recorded in its PID file is alive with the same
// configuration, then waits until it is ready. A running process whose configuration changed is
// stopped and started again. It never starts a second copy and never touches a port another program
// holds.
func (p Process) Ensure(ctx context.Context, progress io.Writer) (started bool, err error) {
	rec, ok, err := ReadRecord(p.Files.PID)
	if err != nil {
		return false, err
	}
	hint := fmt.Sprintf("see its log %s", p.Files.Log)
	cmd, err := p.Command()
	if err != nil {
		return false, fmt.Errorf("prepare %s: %w", p.Name, err)
	}
	fingerprint := commandFingerprint(cmd, p.ConfigFiles)
	if ok && rec.Alive() {
		if !p.configChanged(fingerprint) {
			return false, WaitUntil(ctx, progress, p.Name, p.ReadyTimeout, hint, p.readyWhileAlive(rec))
		}
		fmt.Fprintf(progress, "restarting %s: its configuration changed since it started\n", p.Name)
		if err := p.Stop(progress); err != nil {
			return false, err
		}
		ok = false
	}
	if ok {
		// The recorded process is gone (machine restart, crash): its PID file is stale.
		if err := os.Remove(p.Files.PID); err != nil {
			return false, fmt.Errorf("remove stale pid file %s: %w", p.Files.PID, err)
		}
	}
	for _, port := range p.Ports {
		if err := checkPortFree(p.Name, port); err != nil {
			return false, err
		}
	}
	if err := p.removeLeftovers(); err != nil {
		return false, err
	}
	if len(p.Ports) > 0 {
		fmt.Fprintf(progress, "starting %s %s on %s\n", p.Name, p.Version, p.Address())
	} else {
		fmt.Fprintf(progress, "starting %s %s\n", p.Name, p.Version)
	}
	start := time.Now()
	rec, err = Start(cmd, p.Files.PID, p.Files.Log)
	if err != nil {
		return false, err
	}
	if err := atomicfile.Write(p.Files.Config, []byte(fingerprint+"\n"), 0o644); err != nil {
		return true, err
	}
	if err := WaitUntil(ctx, progress, p.Name, p.ReadyTimeout, hint, p.readyWhileAlive(rec)); err != nil {
		return true, err
	}
	fmt.Fprintf(progress, "  %s ready in %s\n", p.Name, time.Since(start).Round(10*time.Millisecond))
	return true, nil
}

// readyWhileAlive is the readiness check plus a fast failure when the process has exited.
func (p Process) readyWhileAlive(rec Record) func(context.Context) error {
	return func(ctx context.Context) error {
		if !rec.Alive() {
			return Permanent(fmt.Errorf("process %d exited; last log lines:\n%s", rec.PID, Tail(p.Files.Log, 15)))
		}
		return p.Ready(ctx)
	}
}

// Running returns the record of the process when it is alive.
func (p Process) Running() (Record, bool) {
	rec, ok, err := ReadRecord(p.Files.PID)
	if err != nil || !ok || !rec.Alive() {
		return Record{}, false
	}
	return rec, true
}

// Stop ends the process recorded in the PID file as its StopPolicy says, and removes its files.
func (p Process) Stop(progress io.Writer) error {
	rec, ok, err := ReadRecord(p.Files.PID)
	if err != nil || !ok {
		return err
	}
	if rec.Alive() {
		fmt.Fprintf(progress, "stopping %s (pid %d)\n", p.Name, rec.PID)
		if err := rec.Stop(p.StopPolicy); err != nil {
			fmt.Fprintf(progress, "  %s: %v\n", p.Name, err)
			if rec.Alive() {
				return fmt.Errorf("stop %s: %w (its log: %s)", p.Name, err, p.Files.Log)
			}
		}
	}
	for _, path := range []string{p.Files.PID, p.Files.Config} {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", path, err)
		}
	}
	return p.removeLeftovers()
}

func (p Process) removeLeftovers() error {
	for _, path := range p.Leftovers {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove %s left by %s: %w", path, p.Name, err)
		}
	}
	return nil
}

// Status is one row of `sandbox status`.
type Status struct {
	Name    string
	Version string
	Address string
	Up      bool
	PID     int
	Detail  string // why it is down, or extra information
}

// Status probes the process without changing anything.
func (p Process) Status(ctx context.Context) Status {
	st := Status{Name: p.Name, Version: p.Version, Address: p.Address()}
	rec, ok, err := ReadRecord(p.Files.PID)
	switch {
	case err != nil:
		st.Detail = err.Error()
		return st
	case !ok:
		st.Detail = "not started"
		if len(p.Ports) > 0 && PortListening(Host, p.Ports[0]) {
			st.Detail = "not started by the sandbox, but its port is in use by another program"
		}
		return st
	case !rec.Alive():
		st.Detail = fmt.Sprintf("pid %d has exited (see %s)", rec.PID, p.Files.Log)
		return st
	}
	st.PID = rec.PID
	if stale := p.staleExecutable(rec); stale != "" {
		st.Detail = stale
		return st
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := p.Ready(ctx); err != nil {
		st.Detail = "running but not ready: " + err.Error()
		return st
	}
	st.Up = true
	return st
}

// staleExecutable says why the running process is out of date when it runs another program than
// Executable, or "" when it runs that program (or no Executable is declared, or /proc cannot tell).
func (p Process) staleExecutable(rec Record) string {
	if p.Executable == "" {
		return ""
	}
	running, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", rec.PID))
	if err != nil {
		return ""
	}
	want := p.Executable
	if resolved, err := filepath.EvalSymlinks(want); err == nil {
		want = resolved
	}
	if running == want {
		return ""
	}
	return fmt.Sprintf("out of date: pid %d runs %s, this checkout runs %s (another checkout's `up` started it): `go run ./cmd/sandbox up` restarts it",
		rec.PID, running, want)
}
