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
	"time"

	"github.com/platformteam/delivery/internal/sandbox/proc"
)

const (
	readyTimeout = 3 * time.Minute // a start after an unclean stop wipes the engine cache (~50 s)
	stopTimeout  = 90 * time.Second
)

// process is the engine as package proc supervises it: `unshare` running the start script, whose
// tini (PID 1 of the new namespace) runs the engine. command is nil for stopping and status.
func (l paths) process(command func() (*exec.Cmd, error)) proc.Process {
	return proc.Process{
		Name: "dagger engine", Version: Version, Command: command,
		Files:       proc.Files{PID: l.pidFile(), Log: l.logFile(), Config: l.fingerprintFile()},
		ConfigFiles: []string{l.configFile(), filepath.Join(l.etcDaggerDir(), "engine.json"), l.startScript()},
		Ready:       l.answers, ReadyTimeout: readyTimeout,
		// tini forwards SIGTERM to the engine (unshare ignores it). Never SIGKILL: an engine killed that
		// way wipes its cache on the next start.
		StopPolicy: proc.StopPolicy{Grace: stopTimeout, SignalChild: true,
			NoKill: "a killed engine wipes its cache on the next start (avoid SIGKILL)"},
		Leftovers: []string{l.socketPath()},
	}
}

// startEngine starts the engine unless it already runs with the same files (config, start script
// with its environment), restarting it gracefully when they changed, then waits until it answers.
func startEngine(ctx context.Context, p progress, l paths, goSDKDigest string) error {
	if err := l.ensureStateDirs(); err != nil {
		return err
	}
	if err := migrateLegacyPIDFile(l); err != nil {
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
		EngineStateDir: engineStateDir, Env: env, BinStamp: string(stamp), CustomCADir: hostCACertDir,
	})
	if err != nil {
		return err
	}
	engine := l.process(func() (*exec.Cmd, error) {
		if _, err := exec.LookPath("unshare"); err != nil {
			return nil, errors.New("the engine starts with unshare (util-linux), which is not on PATH")
		}
		if err := wantedFiles(l, script).write(); err != nil {
			return nil, err
		}
		return exec.Command("unshare", "--mount", "--pid", "--fork", "--propagation", "private", "--", "/bin/sh", l.startScript()), nil
	})
	_, err = engine.Ensure(ctx, p)
	return err
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

// answers succeeds when `dagger core version` answers through the socket with the pinned version; a
// different version fails at once (waiting cannot fix it).
func (l paths) answers(ctx context.Context) error {
	if _, err := os.Stat(l.socketPath()); err != nil {
		return fmt.Errorf("no engine socket yet: %w", err)
	}
	vctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := engineVersion(vctx, l)
	if err != nil {
		return err
	}
	if v != Version {
		return proc.Permanent(fmt.Errorf("engine at %s reports %s, want %s: run the sandbox down, then up again", l.socketPath(), v, Version))
	}
	return nil
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

// stopEngine stops the engine gracefully (see process) and waits for the whole tree to exit.
func stopEngine(p progress, l paths) error {
	if err := migrateLegacyPIDFile(l); err != nil {
		return err
	}
	if _, ok := l.process(nil).Running(); !ok {
		p.linef("engine not running")
	}
	return l.process(nil).Stop(p)
}

// migrateLegacyPIDFile rewrites a pid file an older sandbox wrote ("<pid>" alone) as a proc record,
// when that pid is still our unshare for this state dir; otherwise (a stale file, a reused pid) it
// removes it.
func migrateLegacyPIDFile(l paths) error {
	b, err := os.ReadFile(l.pidFile())
	if err != nil || len(strings.Fields(string(b))) != 1 {
		return nil // none, or already a record
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
		cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		if rec, err := proc.RecordOf(pid); err == nil && rec.Alive() && bytes.Contains(cmdline, []byte(l.startScript())) {
			return proc.WriteRecord(l.pidFile(), rec)
		}
	}
	if err := os.Remove(l.pidFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale engine pid file: %w", err)
	}
	return nil
}
