// Package daggerengine builds, starts and stops the sandbox's offline Dagger engine (pinned version),
// and provides the base images and Go SDK content the pipeline needs without pulling anything.
package daggerengine

import (
	"context"
	"errors"
	"io"
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

// ErrNotBuilt is returned until the engine build is implemented.
var ErrNotBuilt = errors.New("dagger engine: not implemented yet")

// Up builds whatever is missing, starts the engine if it is not running, waits until it answers,
// seeds the base images into the registry, and returns how clients reach it. Idempotent.
func Up(ctx context.Context, opts Options) (*Engine, error) { return nil, ErrNotBuilt }

// Down stops the engine this sandbox started (gracefully) and waits for it to exit.
func Down(ctx context.Context, opts Options) error { return nil }

// Probe reports the engine's state without changing anything.
func Probe(ctx context.Context, opts Options) Status { return Status{Detail: "not implemented"} }
