package sandbox

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/platformteam/delivery/internal/sandbox/proc"
)

// ModulePath is the root module's path, used to recognise the repository root.
const ModulePath = "github.com/platformteam/delivery"

// Environment variables that move the sandbox's directories.
const (
	StateDirEnv = "SANDBOX_DIR"        // default <repo>/.sandbox
	CacheDirEnv = "DELIVERY_CACHE_DIR" // default <repo>/.cache
)

// Layout is where the sandbox keeps its state (pids, logs, data, certificates, the env file) and
// where built tools are cached. All paths are absolute.
type Layout struct {
	RepoRoot string
	StateDir string
	CacheDir string
}

// DiscoverLayout finds the repository root at or above dir and applies the SANDBOX_DIR and
// DELIVERY_CACHE_DIR overrides.
func DiscoverLayout(dir string) (Layout, error) {
	root, err := FindRepoRoot(dir)
	if err != nil {
		return Layout{}, err
	}
	return NewLayout(root, os.Getenv(StateDirEnv), os.Getenv(CacheDirEnv))
}

// NewLayout builds a layout for a repository root; empty stateDir/cacheDir mean the defaults
// (.sandbox and .cache under the root). Relative overrides are taken relative to the root.
func NewLayout(repoRoot, stateDir, cacheDir string) (Layout, error) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		return Layout{}, fmt.Errorf("resolve repository root %q: %w", repoRoot, err)
	}
	resolve := func(override, def string) string {
		switch {
		case override == "":
			return filepath.Join(root, def)
		case filepath.IsAbs(override):
			return filepath.Clean(override)
		default:
			return filepath.Join(root, override)
		}
	}
	return Layout{RepoRoot: root, StateDir: resolve(stateDir, ".sandbox"), CacheDir: resolve(cacheDir, ".cache")}, nil
}

// FindRepoRoot walks up from dir to the directory whose go.mod declares ModulePath.
func FindRepoRoot(dir string) (string, error) {
	start, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %q: %w", dir, err)
	}
	for d := start; ; d = filepath.Dir(d) {
		if moduleOf(filepath.Join(d, "go.mod")) == ModulePath {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod for module %s at or above %s: run the sandbox from inside the repository", ModulePath, start)
		}
	}
}

func moduleOf(goMod string) string {
	f, err := os.Open(goMod)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// Paths inside the state directory.
func (l Layout) EnvFile() string   { return filepath.Join(l.StateDir, "env") }
func (l Layout) LockFile() string  { return filepath.Join(l.StateDir, "lock") }
func (l Layout) RunDir() string    { return filepath.Join(l.StateDir, "run") }
func (l Layout) LogDir() string    { return filepath.Join(l.StateDir, "logs") }
func (l Layout) KubeDir() string   { return filepath.Join(l.StateDir, "kube") }
func (l Layout) DaggerDir() string { return filepath.Join(l.StateDir, "dagger") }

// DataDir is where a component keeps its data (<state>/<name>).
func (l Layout) DataDir(name string) string { return filepath.Join(l.StateDir, name) }

// ProcessFiles are a process's pid file and fingerprint under RunDir and its log under LogDir.
func (l Layout) ProcessFiles(name string) proc.Files {
	return proc.FilesIn(l.RunDir(), l.LogDir(), name)
}

// terraformImageRecord remembers which terraform binary the registry serves as an image.
func (l Layout) terraformImageRecord() string {
	return filepath.Join(l.StateDir, "terraform-image.json")
}
