package stackrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
)

// LocalExecutor runs terraform (or tofu) as a process on this machine, in a workspace on disk.
type LocalExecutor struct {
	// Workspace is the absolute repository root Invocation paths are relative to.
	Workspace string
	// Binary is the terraform or tofu executable (a name looked up in PATH, or a path).
	Binary string
	// PluginCacheDir is shared by every stack (TF_PLUGIN_CACHE_DIR) so providers download once; optional.
	PluginCacheDir string
	// BaseEnv is the environment every process starts from; nil means os.Environ().
	BaseEnv []string
	// GracePeriod is how long terraform gets after an interrupt (to release its state lock) before it is
	// killed; default 30s.
	GracePeriod time.Duration
}

// NewLocalExecutor checks that the binary exists and returns an executor for the workspace.
func NewLocalExecutor(workspace, binary string) (*LocalExecutor, error) {
	resolved, err := exec.LookPath(binary)
	if err != nil {
		return nil, fmt.Errorf("terraform binary %q not found: install it, or choose another with --binary / TF_BINARY (terraform or tofu): %w", binary, err)
	}
	abs, err := filepath.Abs(workspace)
	if err != nil {
		return nil, fmt.Errorf("resolve workspace %q: %w", workspace, err)
	}
	return &LocalExecutor{Workspace: abs, Binary: resolved}, nil
}

// Run implements Executor. A chain of invocations (Then) runs in order, each while the files of the ones
// before it are still there.
func (e *LocalExecutor) Run(ctx context.Context, inv Invocation) (Result, error) {
	defer e.removePrivate(inv)
	res, err := e.run(ctx, inv)
	if err != nil || inv.Then == nil || !slices.Contains(inv.ThenOn, res.ExitCode) {
		return res, err
	}
	then, err := e.Run(ctx, *inv.Then)
	res.Then = &then
	return res, err
}

func (e *LocalExecutor) run(ctx context.Context, inv Invocation) (Result, error) {
	dir, err := e.inside(inv.Dir)
	if err != nil {
		return Result{}, err
	}
	for rel, data := range inv.Files {
		p, err := e.inside(rel)
		if err != nil {
			return Result{}, err
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return Result{}, fmt.Errorf("prepare %s: %w", rel, err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return Result{}, fmt.Errorf("write %s: %w", rel, err)
		}
	}
	cmd := exec.CommandContext(ctx, e.Binary, inv.Args...)
	cmd.Dir = dir
	cmd.Env = e.environ(inv.Env)
	// Its own process group: a Ctrl-C in the terminal reaches the engine only, and terraform gets exactly
	// one interrupt, from Cancel below (a second one would make it abort without releasing its lock).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Interrupt first: terraform then stops cleanly and releases the state lock.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = e.GracePeriod
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 30 * time.Second
	}
	start := time.Now()
	runErr := cmd.Run()
	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Duration: time.Since(start)}
	var exitErr *exec.ExitError
	switch {
	case runErr == nil:
	case errors.As(runErr, &exitErr):
		res.ExitCode = exitErr.ExitCode()
		if ctx.Err() != nil {
			return res, fmt.Errorf("terraform %s in %s interrupted: %w", firstArg(inv.Args), inv.Dir, ctx.Err())
		}
	default:
		return res, fmt.Errorf("run %s %s in %s: %w", e.Binary, firstArg(inv.Args), inv.Dir, runErr)
	}
	for _, rel := range inv.Collect {
		p, err := e.inside(rel)
		if err != nil {
			return res, err
		}
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return res, fmt.Errorf("collect %s: %w", rel, err)
		}
		if res.Files == nil {
			res.Files = map[string][]byte{}
		}
		res.Files[rel] = data
	}
	return res, nil
}

// removePrivate deletes the files an invocation wrote or collected under PrivateDir (inputs and plans
// may hold secret values; the runner keeps what it needs in memory).
func (e *LocalExecutor) removePrivate(inv Invocation) {
	for _, rel := range append(sortedKeys(inv.Files), inv.Collect...) {
		if clean := path.Clean(rel); strings.HasPrefix(clean, PrivateDir+"/") {
			if p, err := e.inside(clean); err == nil {
				_ = os.Remove(p)
			}
		}
	}
}

func (e *LocalExecutor) environ(extra map[string]string) []string {
	env := e.BaseEnv
	if env == nil {
		env = os.Environ()
	}
	env = append([]string(nil), env...)
	if e.PluginCacheDir != "" {
		env = append(env, "TF_PLUGIN_CACHE_DIR="+e.PluginCacheDir)
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+extra[k])
	}
	return env
}

// inside resolves a workspace-relative path and refuses anything that escapes the workspace.
func (e *LocalExecutor) inside(rel string) (string, error) {
	clean := path.Clean(rel)
	if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("path %q must be relative to the workspace and stay inside it", rel)
	}
	return filepath.Join(e.Workspace, filepath.FromSlash(clean)), nil
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}
