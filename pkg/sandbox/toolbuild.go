package sandbox

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
)

// goTool is a tool the sandbox builds from the Go module proxy into <cache>/tools/<name>-<version>/.
type goTool struct {
	name    string // cache directory name, e.g. "kubernetes"
	version string
	binary  string // file name inside the tool directory
	why     string // what the tool is for, shown while building
	expect  string // rough cold build time, shown while building
	timeout time.Duration
	// Either moduleDir (a tools/<name> module built with `go build`) or pkg (`go install pkg@version`).
	moduleDir string
	target    string // package to build inside moduleDir (default ".")
	pkg       string
	ldflags   string
	tags      string
}

// sandboxTools are the tools built from source, in build order (cheap first).
func sandboxTools(l Layout) []goTool {
	return []goTool{
		{
			name: "etcd", version: EtcdVersion, binary: "etcd", timeout: 20 * time.Minute,
			why: "the Kubernetes API server's storage", expect: "about 1-5 min",
			moduleDir: filepath.Join(l.RepoRoot, "tools", "etcd"),
		},
		{
			name: "kwok", version: KwokVersion, binary: "kwok", timeout: 20 * time.Minute,
			why: "fake nodes and pod lifecycles for the local cluster", expect: "about 1-5 min",
			pkg:     "sigs.k8s.io/kwok/cmd/kwok@" + KwokVersion,
			ldflags: "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=" + strings.TrimPrefix(KwokVersion, "v"),
		},
		{
			// The project's own AWS endpoint: keyed by a hash of its sources, so an edit rebuilds it.
			name: "aws-front", version: projectSourceVersion(l.RepoRoot, awsFrontSources...), binary: "aws-front",
			timeout: 10 * time.Minute, why: "the AWS endpoint in front of moto", expect: "seconds",
			moduleDir: l.RepoRoot, target: "./" + awsFrontMain,
		},
		{
			name: "kubernetes", version: KubernetesVersion, binary: "kube", timeout: 60 * time.Minute,
			why: "kube-apiserver, kube-controller-manager and kube-scheduler in one binary", expect: "about 10-30 min on 2 cores",
			moduleDir: filepath.Join(l.RepoRoot, "tools", "k8s"),
			ldflags:   kubeVersionLDFlags(KubernetesVersion),
		},
	}
}

// kubeVersionLDFlags stamps the version the API server reports on /version; without it the server
// says v0.0.0 and Helm charts with a kubeVersion constraint refuse to install.
func kubeVersionLDFlags(version string) string {
	major, minor := "", ""
	if parts := strings.SplitN(strings.TrimPrefix(version, "v"), ".", 3); len(parts) >= 2 {
		major, minor = parts[0], parts[1]
	}
	const pkg = "k8s.io/component-base/version"
	return strings.Join([]string{
		"-s -w",
		"-X " + pkg + ".gitVersion=" + version,
		"-X " + pkg + ".gitMajor=" + major,
		"-X " + pkg + ".gitMinor=" + minor,
		"-X " + pkg + ".gitTreeState=clean",
	}, " ")
}

// path is where the built binary lives.
func (t goTool) path(l Layout) string { return filepath.Join(l.ToolDir(t.name, t.version), t.binary) }

// ensure builds the tool unless its binary is already cached. The build runs at low CPU priority,
// writes to a temporary name and renames on success, so an interrupted build never leaves a
// half-written binary that looks finished.
func (t goTool) ensure(ctx context.Context, l Layout, progress io.Writer) (string, error) {
	target := t.path(l)
	if info, err := os.Stat(target); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
		return target, nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("building %s %s needs the Go toolchain, which is not on PATH: install Go 1.26 and retry", t.name, t.version)
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	fmt.Fprintf(progress, "building %s %s (%s) from the Go module proxy into %s: first run only, %s\n", t.name, t.version, t.why, dir, t.expect)

	ctx, cancel := context.WithTimeout(ctx, t.timeout)
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
	if t.ldflags != "" {
		flags = append(flags, "-ldflags", t.ldflags)
	}
	if t.tags != "" {
		flags = append(flags, "-tags", t.tags)
	}
	if t.moduleDir != "" {
		workDir = t.moduleDir
		args = append(args, "build")
		args = append(args, flags...)
		target := t.target
		if target == "" {
			target = "."
		}
		args = append(args, "-o", filepath.Join(tmpDir, t.binary), target)
	} else {
		workDir = tmpDir
		env = append(env, "GOBIN="+tmpDir, "GOFLAGS=-mod=mod")
		args = append(args, "install")
		args = append(args, flags...)
		args = append(args, t.pkg)
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
		return "", fmt.Errorf("start go build for %s: %w", t.name, err)
	}
	go func() { done <- cmd.Wait() }()
	ticker := time.NewTicker(30 * time.Second)
	defer ticker.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				if ctx.Err() == context.DeadlineExceeded {
					return "", fmt.Errorf("building %s %s took longer than %s and was stopped; run `go run ./cmd/sandbox up` again (the Go build cache keeps the progress)", t.name, t.version, t.timeout)
				}
				return "", fmt.Errorf("build %s %s failed: %w\n%s\nfix the error above (is the Go module proxy reachable? `go env GOPROXY`) and run `go run ./cmd/sandbox up` again",
					t.name, t.version, err, lastLines(output.String(), 30))
			}
			if err := os.Rename(filepath.Join(tmpDir, t.binary), target); err != nil {
				return "", fmt.Errorf("install %s into %s: %w", t.name, target, err)
			}
			fmt.Fprintf(progress, "built %s %s in %s\n", t.name, t.version, time.Since(start).Round(time.Second))
			return target, nil
		case <-ticker.C:
			fmt.Fprintf(progress, "  still building %s %s (%s elapsed, expect %s)\n", t.name, t.version, time.Since(start).Round(time.Second), t.expect)
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// awsFrontMain is the AWS endpoint's command, and awsFrontSources every directory of the module it is
// built from (a test checks that against `go list -deps`).
const awsFrontMain = "internal/sandbox/cmd/aws-front"

var awsFrontSources = []string{awsFrontMain, "internal/sandbox/awsfront", "internal/fake/ecs"}

// projectSourceVersion names a build of the project's own code by the content of its source dirs and
// the directories below them ("src-<hash>"), so the cached binary is rebuilt exactly when the code changes.
func projectSourceVersion(root string, dirs ...string) string {
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
