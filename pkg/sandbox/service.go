package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// service is one long-running process of the sandbox.
type service struct {
	name    string
	version string
	// ports are every TCP port the process listens on; the first is its address.
	ports []int
	// command builds the process to start (binaries, config files and directories are ready).
	command func() (*exec.Cmd, error)
	// ready checks, without side effects, that the service answers as clients need it.
	ready        func(ctx context.Context) error
	readyTimeout time.Duration
	// configFiles are the files whose content configures the process: a change restarts it on up.
	configFiles []string
	// stopGrace is how long Down waits after SIGTERM before SIGKILL.
	stopGrace time.Duration
}

func (s service) address() string {
	if len(s.ports) == 0 {
		return "-"
	}
	return fmt.Sprintf("%s:%d", Host, s.ports[0])
}

// ensureRunning starts the service unless the process recorded in its PID file is alive, then waits
// until it is ready. It never starts a second copy and never touches a port another program holds.
func (s service) ensureRunning(ctx context.Context, l Layout, progress io.Writer) (started bool, err error) {
	pidPath := l.PIDFile(s.name)
	rec, ok, err := ReadPIDFile(pidPath)
	if err != nil {
		return false, err
	}
	hint := fmt.Sprintf("see its log %s", l.LogFile(s.name))
	cmd, err := s.command()
	if err != nil {
		return false, fmt.Errorf("prepare %s: %w", s.name, err)
	}
	fingerprint := commandFingerprint(cmd, s.configFiles)
	if ok && rec.Alive() {
		if !configChanged(l, s.name, fingerprint) {
			return false, waitUntil(ctx, progress, s.name, s.readyTimeout, hint, s.readyWhileAlive(rec, l))
		}
		fmt.Fprintf(progress, "restarting %s: its configuration changed since it started\n", s.name)
		if err := s.stop(l, progress); err != nil {
			return false, err
		}
		ok = false
	}
	if ok {
		// The recorded process is gone (machine restart, crash): its PID file is stale.
		if err := os.Remove(pidPath); err != nil {
			return false, fmt.Errorf("remove stale pid file %s: %w", pidPath, err)
		}
	}
	for _, port := range s.ports {
		if err := checkPortFree(s.name, port); err != nil {
			return false, err
		}
	}
	if len(s.ports) > 0 {
		fmt.Fprintf(progress, "starting %s %s on %s\n", s.name, s.version, s.address())
	} else {
		fmt.Fprintf(progress, "starting %s %s\n", s.name, s.version)
	}
	start := time.Now()
	rec, err = StartDetached(cmd, pidPath, l.LogFile(s.name))
	if err != nil {
		return false, err
	}
	if err := writeFileAtomic(l.fingerprintFile(s.name), []byte(fingerprint+"\n"), 0o644); err != nil {
		return true, err
	}
	if err := waitUntil(ctx, progress, s.name, s.readyTimeout, hint, s.readyWhileAlive(rec, l)); err != nil {
		return true, err
	}
	fmt.Fprintf(progress, "  %s ready in %s\n", s.name, time.Since(start).Round(10*time.Millisecond))
	return true, nil
}

// readyWhileAlive is the readiness check plus a fast failure when the process has exited.
func (s service) readyWhileAlive(rec PIDRecord, l Layout) func(context.Context) error {
	return func(ctx context.Context) error {
		if !rec.Alive() {
			return permanentError{fmt.Errorf("process %d exited; last log lines:\n%s", rec.PID, tailFile(l.LogFile(s.name), 15))}
		}
		return s.ready(ctx)
	}
}

// stop ends the process recorded in the service's PID file and removes the file.
func (s service) stop(l Layout, progress io.Writer) error {
	pidPath := l.PIDFile(s.name)
	rec, ok, err := ReadPIDFile(pidPath)
	if err != nil || !ok {
		return err
	}
	if rec.Alive() {
		fmt.Fprintf(progress, "stopping %s (pid %d)\n", s.name, rec.PID)
		if err := rec.Stop(s.stopGrace); err != nil {
			fmt.Fprintf(progress, "  %s: %v\n", s.name, err)
			if rec.Alive() {
				return fmt.Errorf("stop %s: %w", s.name, err)
			}
		}
	}
	for _, path := range []string{pidPath, l.fingerprintFile(s.name)} {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", path, err)
		}
	}
	return nil
}

// ComponentStatus is one row of `sandbox status`.
type ComponentStatus struct {
	Name    string
	Version string
	Address string
	Up      bool
	PID     int
	Detail  string // why it is down, or extra information
}

func (s service) status(ctx context.Context, l Layout) ComponentStatus {
	st := ComponentStatus{Name: s.name, Version: s.version, Address: s.address()}
	rec, ok, err := ReadPIDFile(l.PIDFile(s.name))
	switch {
	case err != nil:
		st.Detail = err.Error()
		return st
	case !ok:
		st.Detail = "not started"
		if len(s.ports) > 0 && PortListening(Host, s.ports[0]) {
			st.Detail = "not started by the sandbox, but its port is in use by another program"
		}
		return st
	case !rec.Alive():
		st.Detail = fmt.Sprintf("pid %d has exited (see %s)", rec.PID, l.LogFile(s.name))
		return st
	}
	st.PID = rec.PID
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		st.Detail = "running but not ready: " + err.Error()
		return st
	}
	st.Up = true
	return st
}

func tailFile(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	return lastLines(string(data), n)
}
