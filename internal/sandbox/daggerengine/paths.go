package daggerengine

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// paths is every path the engine uses, derived from Options. Built artifacts live under the cache
// (shared by every sandbox of the checkout); mutable state lives under the state dir.
type paths struct {
	cacheDir  string
	stateDir  string
	engineDir string
	registry  string
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
	return paths{cacheDir: cache, stateDir: state, engineDir: engineHome(state), registry: opts.Registry}, nil
}

// EngineDirEnv overrides where the engine keeps its own tree (see engineHome).
const EngineDirEnv = "SANDBOX_ENGINE_DIR"

// engineHome is where the engine keeps its own mutable tree: its BuildKit state and the mount point of
// its root file system. It must not be inside the checkout: a client syncs the checkout into the engine,
// and a checkout holding the engine's snapshots and mounts would be copied into itself. One per state
// dir (so per checkout), outside it.
func engineHome(stateDir string) string {
	if d := os.Getenv(EngineDirEnv); d != "" {
		return d
	}
	sum := sha256.Sum256([]byte(stateDir))
	base := "/var/lib/delivery-sandbox"
	if os.Geteuid() != 0 {
		if home, err := os.UserHomeDir(); err == nil {
			base = filepath.Join(home, ".local", "state", "delivery-sandbox")
		}
	}
	return filepath.Join(base, hex.EncodeToString(sum[:6]))
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
func (l paths) pidFile() string { return filepath.Join(l.stateDir, "engine.pid") }
func (l paths) logFile() string { return filepath.Join(l.stateDir, "engine.log") }
func (l paths) fingerprintFile() string {
	return filepath.Join(l.stateDir, "engine.config")
}
func (l paths) socketPath() string   { return filepath.Join(l.stateDir, "engine.sock") }
func (l paths) runnerHost() string   { return "unix://" + l.socketPath() }
func (l paths) configFile() string   { return filepath.Join(l.stateDir, "engine.toml") }
func (l paths) startScript() string  { return filepath.Join(l.stateDir, "start.sh") }
func (l paths) engineLibDir() string { return filepath.Join(l.engineDir, "lib") }
func (l paths) mountRoot() string    { return filepath.Join(l.engineDir, "root") }
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
