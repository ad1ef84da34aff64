package daggerengine

import (
	"bytes"
	"context"
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

const (
	readyTimeout = 3 * time.Minute // a start after an unclean stop wipes the engine cache (~50 s)
	stopTimeout  = 90 * time.Second
)

// startEngine starts the engine unless it already runs with the same files (config, start script
// with its environment), restarting it gracefully when they changed, then waits until it answers.
func startEngine(ctx context.Context, p progress, l paths, goSDKDigest string) error {
	if err := l.ensureStateDirs(); err != nil {
		return err
	}
	rootfs, err := engineRootfs(l)
	if err != nil {
		return err
	}
	imgs, err := imagesLayoutDir(l)
	if err != nil {
		return err
	}
	env, err := engineEnv(ctx, goSDKDigest)
	if err != nil {
		return err
	}
	stamp, err := os.ReadFile(filepath.Join(l.binDir(), ".stamp"))
	if err != nil {
		return fmt.Errorf("engine binaries not built: %w", err)
	}
	script, err := renderStartScript(startParams{
		Rootfs: rootfs, MountRoot: l.mountRoot(), BinDir: l.binDir(), ContentDir: imgs,
		EngineLib: l.engineLibDir(), EtcDagger: l.etcDaggerDir(), StateDir: l.stateDir,
		StateMount: stateMountInEngine, BinMount: binMountInEngine, ContentMount: builtinContentDir,
		EngineStateDir: engineStateDir, Env: env, BinStamp: string(stamp),
	})
	if err != nil {
		return err
	}
	files := wantedFiles(l, script)
	if pid, ok := runningPID(l); ok {
		which, changed := files.changed()
		if !changed {
			p.linef("engine process %d already running; checking that it answers", pid)
			return p.step(ctx, "wait for the running engine", readyTimeout, func(ctx context.Context) error {
				return waitReady(ctx, p, l, pid)
			})
		}
		p.linef("engine configuration changed (%s); restarting the engine", which)
		if err := stopEngine(ctx, p, l); err != nil {
			return err
		}
	}
	if err := files.write(); err != nil {
		return err
	}
	_ = os.Remove(l.socketPath())
	return p.step(ctx, "start engine "+Version, readyTimeout, func(ctx context.Context) error {
		pid, err := spawn(l)
		if err != nil {
			return err
		}
		p.linef("engine process %d started, logs in %s", pid, l.logFile())
		return waitReady(ctx, p, l, pid)
	})
}

// engineEnv is the engine's environment: where the Go SDK base image is, and the Go proxy that
// module builds inside the engine must use (the same one this machine's go uses).
func engineEnv(ctx context.Context, goSDKDigest string) (map[string]string, error) {
	goproxy, err := output(ctx, nil, "go", "env", "GOPROXY")
	if err != nil {
		return nil, fmt.Errorf("read the Go proxy setting: %w", err)
	}
	env := map[string]string{
		"DAGGER_GO_SDK_MANIFEST_DIGEST":    goSDKDigest,
		"_DAGGER_ENGINE_SYSTEMENV_GOPROXY": goproxy,
	}
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"} {
		if v := os.Getenv(k); v != "" {
			env[k] = v
		}
	}
	return env, nil
}

// spawn starts unshare in its own session so the engine outlives the calling process.
func spawn(l paths) (int, error) {
	logf, err := os.OpenFile(l.logFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("open engine log: %w", err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "\n==== engine %s start %s ====\n", Version, time.Now().UTC().Format(time.RFC3339))
	cmd := exec.Command("unshare", "--mount", "--pid", "--fork", "--propagation", "private", "--", "/bin/sh", l.startScript())
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start engine with unshare (needs root and util-linux): %w", err)
	}
	pid := cmd.Process.Pid
	if err := os.WriteFile(l.pidFile(), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return 0, fmt.Errorf("write pid file: %w", err)
	}
	go func() { _ = cmd.Wait() }() // reap it if this process lives long enough (tests)
	return pid, nil
}

// waitReady polls until `dagger core version` answers through the socket, or the process dies.
func waitReady(ctx context.Context, p progress, l paths, pid int) error {
	start := time.Now()
	var lastErr error
	for {
		if !alive(pid) {
			return fmt.Errorf("engine process %d exited before answering:\n%s\n(full log: %s)", pid, tailOf(l.logFile(), 20), l.logFile())
		}
		if _, err := os.Stat(l.socketPath()); err == nil {
			vctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			v, err := engineVersion(vctx, l)
			cancel()
			if err == nil {
				if v != Version {
					return fmt.Errorf("engine at %s reports %s, want %s: run the sandbox down, then up again", l.socketPath(), v, Version)
				}
				p.linef("engine answers: %s (after %s)", v, time.Since(start).Round(100*time.Millisecond))
				return nil
			}
			lastErr = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("engine did not answer on %s: %v; last error: %v; see %s", l.socketPath(), ctx.Err(), lastErr, l.logFile())
		case <-time.After(time.Second):
		}
	}
}

// engineVersion asks the engine (not the CLI) for its version through the socket.
func engineVersion(ctx context.Context, l paths) (string, error) {
	out, err := output(ctx, clientEnv(l), l.cliPath(), "core", "version")
	if err != nil {
		return "", err
	}
	lines := strings.Split(out, "\n")
	return strings.TrimSpace(lines[len(lines)-1]), nil
}

// clientEnv is what a dagger CLI needs to use this engine offline.
func clientEnv(l paths) []string {
	return []string{
		"_EXPERIMENTAL_DAGGER_RUNNER_HOST=" + l.runnerHost(),
		"DO_NOT_TRACK=1",
		"DAGGER_NO_NAG=1",
	}
}

// stopEngine sends SIGTERM to tini (PID 1 inside the namespace; unshare itself ignores it), which
// forwards it to the engine, then waits for the whole tree to exit. It never sends SIGKILL: an
// engine killed that way wipes its cache on the next start.
func stopEngine(ctx context.Context, p progress, l paths) error {
	pid, ok := runningPID(l)
	if !ok {
		p.linef("engine not running")
		_ = os.Remove(l.pidFile())
		return nil
	}
	return p.step(ctx, fmt.Sprintf("stop engine (pid %d)", pid), stopTimeout, func(ctx context.Context) error {
		target := pid
		if kids := children(pid); len(kids) > 0 {
			target = kids[0] // tini
		}
		if err := syscall.Kill(target, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("signal engine init %d: %w", target, err)
		}
		for alive(pid) {
			select {
			case <-ctx.Done():
				return fmt.Errorf("engine (pid %d) still running after SIGTERM; see %s. "+
					"Retry down, or `kill -TERM %d`; avoid SIGKILL (the next start would wipe the engine cache)", pid, l.logFile(), target)
			case <-time.After(200 * time.Millisecond):
			}
		}
		_ = os.Remove(l.pidFile())
		_ = os.Remove(l.socketPath())
		return nil
	})
}

// runningPID returns the pid from the pid file if that process is our unshare for this state dir.
func runningPID(l paths) (int, bool) {
	b, err := os.ReadFile(l.pidFile())
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || !alive(pid) {
		return 0, false
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil || !bytes.Contains(cmdline, []byte(l.startScript())) {
		return 0, false // pid reused by something else
	}
	return pid, true
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// Format: pid (comm) state ...; comm may contain spaces or parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	return s[i+2] != 'Z' && s[i+2] != 'X'
}

// children lists pid's child processes (over all its threads: a child belongs to the thread that
// forked it).
func children(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
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
