// Package toolchain provides the executables the sandbox runs that the machine does not have: Go
// tools built from the Go module proxy (or from this module's own code) into
// <cache>/tools/<name>-<version>/, the terraform (or tofu) the stack engine uses, found on PATH or
// built, and that terraform served as an image in the sandbox registry for the pipeline.
package toolchain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/proc"
)

// GoTool is a tool built from the Go module proxy into <cache>/tools/<name>-<version>/.
type GoTool struct {
	Name    string // cache directory name, e.g. "kubernetes"
	Version string
	Binary  string // file name inside the tool directory
	Why     string // what the tool is for, shown while building
	Expect  string // rough cold build time, shown while building
	Timeout time.Duration
	// Either ModuleDir (a module built with `go build`) or Pkg (`go install pkg@version`).
	ModuleDir string
	Target    string // package to build inside ModuleDir (default ".")
	Pkg       string
	LDFlags   string
	Tags      string
}

// Path is where the built binary lives under the cache directory.
func (t GoTool) Path(cacheDir string) string {
	return filepath.Join(cacheDir, "tools", t.Name+"-"+t.Version, t.Binary)
}

// Ensure builds the tool unless its binary is already cached, and returns its path. The build runs at low CPU priority,
// writes to a temporary name and renames on success, so an interrupted build never leaves a
// half-written binary that looks finished.
func (t GoTool) Ensure(ctx context.Context, cacheDir string, progress io.Writer) (string, error) {
	target := t.Path(cacheDir)
	if info, err := os.Stat(target); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
		return target, nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("building %s %s needs the Go toolchain, which is not on PATH: install Go 1.26 and retry", t.Name, t.Version)
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	fmt.Fprintf(progress, "building %s %s (%s) from the Go module proxy into %s: first run only, %s\n", t.Name, t.Version, t.Why, dir, t.Expect)

	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	tmpDir, err := os.MkdirTemp(dir, ".build-")
	if err != nil {
		return "", fmt.Errorf("create build directory in %s: %w", dir, err)
	}
	defer os.RemoveAll(tmpDir)

	args := []string{"-n", "10", goBin}
	var workDir string
	env := append(os.Environ(), "CGO_ENABLED=0")
	flags := []string{"-trimpath"}
	if t.LDFlags != "" {
		flags = append(flags, "-ldflags", t.LDFlags)
	}
	if t.Tags != "" {
		flags = append(flags, "-tags", t.Tags)
	}
	if t.ModuleDir != "" {
		workDir = t.ModuleDir
		args = append(args, "build")
		args = append(args, flags...)
		target := t.Target
		if target == "" {
			target = "."
		}
		args = append(args, "-o", filepath.Join(tmpDir, t.Binary), target)
	} else {
		workDir = tmpDir
		env = append(env, "GOBIN="+tmpDir, "GOFLAGS=-mod=mod")
		args = append(args, "install")
		args = append(args, flags...)
		args = append(args, t.Pkg)
	}
	cmd := exec.CommandContext(ctx, "nice", args...)
	cmd.Dir = workDir
	cmd.Env = env
	var output strings.Builder
	cmd.Stdout = &output
	cmd.Stderr = &output

	start := time.Now()
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start go build for %s: %w", t.Name, err)
	}
	go func() { done <- cmd.Wait() }()
	ticker := time.NewTicker(30 * time.Second)
	defer ticker.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				if ctx.Err() == context.DeadlineExceeded {
					return "", fmt.Errorf("building %s %s took longer than %s and was stopped; run `go run ./cmd/sandbox up` again (the Go build cache keeps the progress)", t.Name, t.Version, t.Timeout)
				}
				return "", fmt.Errorf("build %s %s failed: %w\n%s\nfix the error above (is the Go module proxy reachable? `go env GOPROXY`) and run `go run ./cmd/sandbox up` again",
					t.Name, t.Version, err, proc.LastLines(output.String(), 30))
			}
			if err := os.Rename(filepath.Join(tmpDir, t.Binary), target); err != nil {
				return "", fmt.Errorf("install %s into %s: %w", t.Name, target, err)
			}
			fmt.Fprintf(progress, "built %s %s in %s\n", t.Name, t.Version, time.Since(start).Round(time.Second))
			return target, nil
		case <-ticker.C:
			fmt.Fprintf(progress, "  still building %s %s (%s elapsed, expect %s)\n", t.Name, t.Version, time.Since(start).Round(time.Second), t.Expect)
		}
	}
}

// SourceVersion names a build of the project's own code by the content of its source dirs and
// the directories below them ("src-<hash>"), so the cached binary is rebuilt exactly when the code changes.
func SourceVersion(root string, dirs ...string) string {
	h := sha256.New()
	for _, d := range dirs {
		err := filepath.WalkDir(filepath.Join(root, d), func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() && e.Name() == "testdata" {
				return filepath.SkipDir
			}
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(data))
			h.Write(data)
			return nil
		})
		if err != nil {
			fmt.Fprintf(h, "unreadable %s: %v\n", d, err)
		}
	}
	return "src-" + hex.EncodeToString(h.Sum(nil))[:12]
}
