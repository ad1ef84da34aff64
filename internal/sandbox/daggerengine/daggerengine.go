// Package daggerengine builds, starts and stops the sandbox's offline Dagger engine (pinned version),
// and provides the base images and Go SDK content the pipeline needs without pulling anything.
//
// Nothing here talks to the internet except the Go module proxy (through `go build`) and the Debian
// mirror the machine's apt sources already use (through debootstrap). The engine runs without Docker:
// its own Debian root filesystem, entered with unshare + pivot_root, sharing the host network.
package daggerengine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Version is the pinned Dagger release: CLI, engine and Go SDK runtime. Change it here only.
const Version = "v0.19.10"

// Options locate the engine's cache and state and the registry it seeds base images into.
type Options struct {
	CacheDir string    // root of built tools (".cache"); tools go to <CacheDir>/tools/<name>-<version>/
	StateDir string    // engine state, socket, logs, pid (".sandbox/dagger")
	Registry string    // sandbox registry host:port (plain HTTP), e.g. 127.0.0.1:5000
	Progress io.Writer // progress lines for long steps
}

// Engine describes a running engine for clients.
type Engine struct {
	Version    string
	CLIPath    string // absolute path of the dagger CLI
	RunnerHost string // value for _EXPERIMENTAL_DAGGER_RUNNER_HOST (unix://<socket>)
	// BaseImages maps a role ("go", "runtime", "tools") to the reference served by the sandbox registry.
	BaseImages map[string]string
}

// Status is one line of `sandbox status` for the engine.
type Status struct {
	Up      bool
	Version string
	Address string
	Detail  string
}

// ErrNotBuilt was returned by the placeholder before the engine existed. Up no longer returns it;
// it stays so callers that still test for it keep compiling.
//
// Deprecated: Up returns descriptive errors instead.
var ErrNotBuilt = errors.New("dagger engine: not implemented yet")

// Up builds whatever is missing, starts the engine if it is not running, waits until it answers,
// seeds the base images into the registry, and returns how clients reach it. Idempotent.
func Up(ctx context.Context, opts Options) (*Engine, error) {
	l, err := newPaths(opts)
	if err != nil {
		return nil, err
	}
	p := newProgress(opts.Progress)
	start := time.Now()
	if os.Geteuid() != 0 {
		return nil, errors.New("dagger engine: must run as root (it uses mount and PID namespaces, pivot_root, debootstrap and iptables)")
	}
	unlock, err := lockState(ctx, p, l)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := claimHome(l); err != nil {
		return nil, err
	}
	pruneOrphanHomes(p, l)

	if err := buildBinaries(ctx, p, l); err != nil {
		return nil, err
	}
	if err := buildEngineRootfs(ctx, p, l); err != nil {
		return nil, err
	}
	imgs, err := buildImages(ctx, p, l)
	if err != nil {
		return nil, err
	}
	if err := startEngine(ctx, p, l, imgs.goSDKDigest); err != nil {
		return nil, err
	}
	refs, err := pushBaseImages(ctx, p, l, imgs)
	if err != nil {
		return nil, err
	}
	p.linef("engine %s up at %s (%s)", Version, l.runnerHost(), time.Since(start).Round(time.Millisecond))
	return &Engine{
		Version:    Version,
		CLIPath:    l.cliPath(),
		RunnerHost: l.runnerHost(),
		BaseImages: refs,
	}, nil
}

// Down stops the engine this sandbox started (gracefully) and waits for it to exit.
func Down(ctx context.Context, opts Options) error {
	l, err := newPaths(opts)
	if err != nil {
		return err
	}
	p := newProgress(opts.Progress)
	unlock, err := lockState(ctx, p, l)
	if err != nil {
		return err
	}
	defer unlock()
	return stopEngine(p, l)
}

// Probe reports the engine's state without changing anything.
func Probe(ctx context.Context, opts Options) Status {
	l, err := newPaths(opts)
	if err != nil {
		return Status{Detail: err.Error()}
	}
	st := Status{Address: l.runnerHost()}
	if err := migrateLegacyPIDFile(l); err != nil {
		st.Detail = err.Error()
		return st
	}
	rec, running := l.process(nil).Running()
	if !running {
		st.Detail = "not running (no live engine process for " + l.pidFile() + ")"
		return st
	}
	pid := rec.PID
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := engineVersion(ctx, l)
	if err != nil {
		st.Detail = fmt.Sprintf("process %d is running but the engine does not answer: %v (see %s)", pid, err, l.logFile())
		return st
	}
	st.Up, st.Version = true, v
	st.Detail = fmt.Sprintf("pid %d, logs %s", pid, l.logFile())
	return st
}
