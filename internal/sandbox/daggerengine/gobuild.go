package daggerengine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// toolsModuleDir is the tools module that pins the Dagger build, relative to the repository root.
const toolsModuleDir = "tools/dagger"

// binary is one program built from the dagger module.
type binary struct {
	name string // file name under the bin dir
	pkg  string // package path
	tags string // build tags
}

var binaries = []binary{
	{name: "engine", pkg: "github.com/dagger/dagger/cmd/engine", tags: "dfexcludepatterns,dfparents"},
	{name: "dagger", pkg: "github.com/dagger/dagger/cmd/dagger"},
	{name: "init", pkg: "github.com/dagger/dagger/cmd/init"},
	{name: "dnsname", pkg: "github.com/dagger/dagger/cmd/dnsname"},
	{name: "dialstdio", pkg: "github.com/dagger/dagger/cmd/dialstdio"},
	{name: "codegen", pkg: "github.com/dagger/dagger/cmd/codegen"},
}

// buildBinaries builds the engine, CLI and helpers from the Go module proxy into the tools cache,
// skipping the work when a stamp shows the same inputs were already built.
func buildBinaries(ctx context.Context, p progress, l paths) error {
	modDir, err := findToolsModule()
	if err != nil {
		return err
	}
	stamp, err := buildStamp(ctx, modDir)
	if err != nil {
		return err
	}
	stampFile := filepath.Join(l.binDir(), ".stamp")
	if old, err := os.ReadFile(stampFile); err == nil && string(old) == stamp && allBuilt(l) {
		p.linef("binaries %s already built in %s", Version, l.binDir())
		return nil
	}
	if err := os.MkdirAll(l.binDir(), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", l.binDir(), err)
	}
	if err := l.ensureStateDirs(); err != nil {
		return err
	}
	logPath := filepath.Join(l.buildLogDir(), "go-build.log")
	env := []string{"CGO_ENABLED=0", "GOWORK=off", "GONOSUMDB=github.com/dagger/dagger", "GOFLAGS=-buildvcs=false -mod=readonly"}
	ldflags := fmt.Sprintf("-s -w -X github.com/dagger/dagger/engine.Version=%s -X github.com/dagger/dagger/engine.Tag=%s", Version, Version)
	for _, b := range binaries {
		timeout := 10 * time.Minute
		if b.name == "engine" {
			timeout = 40 * time.Minute // ~260 s alone on 2 idle cores; much more when the machine is busy
		}
		err := p.step(ctx, "build "+b.name+" "+Version, timeout, func(ctx context.Context) error {
			tmp := l.binPath(b.name) + ".tmp"
			args := []string{"build", "-trimpath", "-ldflags", ldflags, "-o", tmp}
			if b.tags != "" {
				args = append(args, "-tags", b.tags)
			}
			if err := runLogged(ctx, logPath, modDir, env, "nice", append([]string{"go"}, append(args, b.pkg)...)...); err != nil {
				return fmt.Errorf("%w; the Go module proxy (go env GOPROXY) must serve dagger %s and its dependencies", err, Version)
			}
			return os.Rename(tmp, l.binPath(b.name))
		})
		if err != nil {
			return err
		}
	}
	if err := os.WriteFile(stampFile, []byte(stamp), 0o644); err != nil {
		return fmt.Errorf("write build stamp: %w", err)
	}
	return nil
}

func allBuilt(l paths) bool {
	for _, b := range binaries {
		if fi, err := os.Stat(l.binPath(b.name)); err != nil || fi.Size() == 0 {
			return false
		}
	}
	return true
}

// buildStamp hashes everything that decides the binaries: the tools module files, the Go version,
// the pinned version and the build tags.
func buildStamp(ctx context.Context, modDir string) (string, error) {
	goVersion, err := output(ctx, nil, "go", "env", "GOVERSION")
	if err != nil {
		return "", fmt.Errorf("find the Go toolchain: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", Version, goVersion)
	for _, b := range binaries {
		fmt.Fprintf(h, "%s %s %s\n", b.name, b.pkg, b.tags)
	}
	err = filepath.WalkDir(modDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if n := d.Name(); !strings.HasSuffix(n, ".go") && n != "go.mod" && n != "go.sum" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(modDir, path)
		fmt.Fprintf(h, "%s %x\n", rel, sha256.Sum256(b))
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", modDir, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// findToolsModule walks up from the working directory to the checkout that holds tools/dagger.
func findToolsModule() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find %s: %w", toolsModuleDir, err)
	}
	for {
		candidate := filepath.Join(dir, toolsModuleDir)
		if _, err := os.Stat(filepath.Join(candidate, "go.mod")); err == nil {
			return candidate, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("dagger engine: cannot find " + toolsModuleDir + "/go.mod above the working directory; run the sandbox from inside the repository checkout")
		}
		dir = parent
	}
}
