package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/platformteam/delivery/pkg/stackrun"
)

// SealKeyEnv carries the run's seal key (hex) into `stacks exec`; executors set it from a secret.
const SealKeyEnv = "DELIVERY_SEAL_KEY"

// execCommand is the supervisor a container executor runs for each terraform invocation (see
// stackrun.Supervise): it opens the sealed request, runs terraform with a graceful interrupt on cancel
// or deadline, and writes the sealed result. It prints one line; terraform's output is in the result.
func execCommand(args []string) error {
	var request, result, workspace string
	fs := newFlagSet("exec", "--request FILE --result FILE [--workspace DIR]  (internal: the container executor's supervisor)")
	fs.StringVar(&request, "request", "", "sealed stackrun.ContainerRequest")
	fs.StringVar(&result, "result", "", "where to write the sealed stackrun.ContainerResult")
	fs.StringVar(&workspace, "workspace", ".", "the workspace Invocation paths are relative to")
	if err := parse(fs, args); err != nil {
		return err
	}
	key, err := hex.DecodeString(os.Getenv(SealKeyEnv))
	if err != nil || len(key) != 32 {
		return fmt.Errorf("%s must hold the run's 32-byte seal key in hex", SealKeyEnv)
	}
	os.Unsetenv(SealKeyEnv) // terraform and its providers never see it
	raw, err := os.ReadFile(request)
	if err != nil {
		return fmt.Errorf("read the request: %w", err)
	}
	var req stackrun.ContainerRequest
	if err := stackrun.Unseal(key, strings.TrimSpace(string(raw)), &req); err != nil {
		return fmt.Errorf("open the request: %w", err)
	}
	// A signal to the supervisor itself is a cancel too: interrupt terraform gracefully.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	res := stackrun.Supervise(ctx, workspace, req)
	sealed, err := stackrun.Seal(key, res)
	if err != nil {
		return err
	}
	if err := os.WriteFile(result, []byte(sealed), 0o600); err != nil {
		return fmt.Errorf("write the result: %w", err)
	}
	line := fmt.Sprintf("stacks exec: %s %s (%s): exit %d after %s", req.Binary, firstArg(req.Invocation.Args), req.Invocation.Stack,
		res.ExitCode, time.Since(start).Round(100*time.Millisecond))
	if res.Interrupted != "" {
		line += "; interrupted: " + res.Interrupted
	}
	fmt.Fprintln(os.Stderr, line)
	if res.Error != "" {
		return errors.New(res.Error) // also in the result; the exit code makes the failure visible in the exec's log
	}
	return nil
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}
