package daggerengine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// paths is every path the engine uses, derived from Options. Built artifacts live under the cache
// (shared by every sandbox of the checkout); mutable state lives under the state dir.
type paths struct {
	cacheDir string
	stateDir string
	registry string
}

func newPaths(opts Options) (paths, error) {
	if opts.CacheDir == "" || opts.StateDir == "" {
		return paths{}, errors.New("dagger engine: Options.CacheDir and Options.StateDir are required")
	}
	cache, err := filepath.Abs(opts.CacheDir)
	if err != nil {
		return paths{}, fmt.Errorf("dagger engine: resolve cache dir %s: %w", opts.CacheDir, err)
	}
	state, err := filepath.Abs(opts.StateDir)
	if err != nil {
		return paths{}, fmt.Errorf("dagger engine: resolve state dir %s: %w", opts.StateDir, err)
	}
	// The socket path must fit in sockaddr_un (108 bytes including the "engine.sock" suffix).
	if n := len(filepath.Join(state, "engine.sock")); n > 100 {
		return paths{}, fmt.Errorf("dagger engine: state dir %s is too long for a unix socket path (%d bytes); use a shorter SANDBOX_DIR", state, n)
	}
	if opts.Registry != "" && strings.Contains(opts.Registry, "/") {
		return paths{}, fmt.Errorf("dagger engine: registry %q must be host:port without scheme or path", opts.Registry)
	}
	return paths{cacheDir: cache, stateDir: state, registry: opts.Registry}, nil
}

// Built artifacts.
func (l paths) toolsDir() string { return filepath.Join(l.cacheDir, "tools", "dagger-"+Version) }
func (l paths) binDir() string   { return filepath.Join(l.toolsDir(), "bin") }
func (l paths) binPath(n string) string {
	return filepath.Join(l.binDir(), n)
}
func (l paths) cliPath() string { return l.binPath("dagger") }

// debootstrapCache keeps the downloaded .deb files shared by every rootfs build.
func (l paths) debootstrapCache() string { return filepath.Join(l.cacheDir, "debootstrap-debs") }
func (l paths) rootfsDir(kind, key string) string {
	return filepath.Join(l.cacheDir, fmt.Sprintf("dagger-%s-%s-%s", kind, Version, key))
}
func (l paths) imagesDir(key string) string {
	return filepath.Join(l.cacheDir, fmt.Sprintf("dagger-images-%s-%s", Version, key))
}

// Mutable state.
func (l paths) pidFile() string      { return filepath.Join(l.stateDir, "engine.pid") }
func (l paths) logFile() string      { return filepath.Join(l.stateDir, "engine.log") }
func (l paths) socketPath() string   { return filepath.Join(l.stateDir, "engine.sock") }
func (l paths) runnerHost() string   { return "unix://" + l.socketPath() }
func (l paths) configFile() string   { return filepath.Join(l.stateDir, "engine.toml") }
func (l paths) startScript() string  { return filepath.Join(l.stateDir, "start.sh") }
func (l paths) engineLibDir() string { return filepath.Join(l.stateDir, "lib") }
func (l paths) mountRoot() string    { return filepath.Join(l.stateDir, "root") }
func (l paths) buildLogDir() string  { return filepath.Join(l.stateDir, "build-logs") }

// stateMountInEngine is where the state dir appears inside the engine's namespace.
const stateMountInEngine = "/run/sandbox"

func (l paths) ensureStateDirs() error {
	for _, d := range []string{l.stateDir, l.engineLibDir(), l.mountRoot(), l.buildLogDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("dagger engine: create %s: %w", d, err)
		}
	}
	return nil
}
