package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/platformteam/delivery/pkg/awsconfig"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/stackrun"
)

func runCommand(ctx context.Context, action string, args []string) error {
	var f runFlags
	fs := newFlagSet(action, "--env ENV [--root DIR] [--stack ID]... [--changed-since REF] [--parallelism N] [--json]")
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	var blocks io.Writer = os.Stdout
	if f.json {
		blocks = os.Stderr // stdout carries only the JSON summary
	}
	r, err := stackrun.New(ctx, stackrun.Options{
		Root: f.root, Environment: f.env, Stacks: f.stacks, ChangedSince: f.changedSince,
		Parallelism: f.parallelism, PlanDir: f.planDir, Binary: f.binary, Bundle: f.bundle, Approve: f.approve, Commit: f.commit,
		Out: blocks, Progress: os.Stderr, LockTimeout: f.lockTimeout, StackTimeout: f.stackTimeout,
		AccountGuard: func(ctx context.Context) error {
			env, err := environment.Load(f.root, f.env)
			if err != nil {
				return err
			}
			id, err := guardAccount(ctx, env, awsconfig.Options{Getenv: os.Getenv})
			if err == nil {
				fmt.Fprintf(os.Stderr, "stacks: account guard: %s is in account %s (environment %s)\n", id.ARN, id.Account, env.Name)
			}
			return err
		},
	})
	if err != nil {
		return err
	}
	if len(r.Selected()) == 0 {
		fmt.Fprintln(os.Stderr, "stacks: no stack selected (nothing changed since", f.changedSince+")")
		return nil
	}
	fmt.Fprintf(os.Stderr, "stacks %s · environment %s · %d stacks: %v\n", action, r.Environment().Name, len(r.Selected()), r.Selected())
	var sum *stackrun.Summary
	switch action {
	case "plan":
		sum = r.Plan(ctx)
	case "apply":
		sum = r.Apply(ctx)
	case "drift":
		sum = r.Drift(ctx)
	case "output":
		sum = r.Outputs(ctx)
	}
	if err := report(sum, f); err != nil {
		return err
	}
	return exitFor(sum)
}

// exitFor maps a summary to the command's exit: 1 when a stack failed or was skipped, 2 when drift
// found changes (and nothing failed), else success.
func exitFor(sum *stackrun.Summary) error {
	switch {
	case sum.Error == "" && !sum.OK():
		return &exitError{code: 1, err: fmt.Errorf("%s: %d failed, %d skipped", sum.Action, sum.Count(stackrun.StatusFailed), sum.Count(stackrun.StatusSkipped))}
	case !sum.OK():
		return &exitError{code: 1, err: errors.New(sum.Error)}
	case sum.Action == stackrun.ActionDrift && len(sum.Drifted())+len(sum.Unapplied()) > 0:
		return &exitError{code: 2, err: fmt.Errorf("changed outside Terraform: %v; code not applied: %v", sum.Drifted(), sum.Unapplied())}
	}
	return nil
}

func report(sum *stackrun.Summary, f runFlags) error {
	md := sum.Markdown()
	if f.markdown != "" {
		file, err := os.OpenFile(f.markdown, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("write markdown summary: %w", err)
		}
		_, werr := io.WriteString(file, md+"\n")
		if cerr := file.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("write markdown summary %s: %w", f.markdown, werr)
		}
	}
	if f.json {
		raw, err := sum.JSON()
		if err != nil {
			return err
		}
		fmt.Println(string(raw))
		return nil
	}
	fmt.Println()
	fmt.Print(md)
	return nil
}

// forceUnlockCommand removes a state lock left by a killed run (the held-lock message prints this
// command with the lock ID).
func forceUnlockCommand(ctx context.Context, args []string) error {
	var f commonFlags
	var stack, lockID, binary string
	fs := newFlagSet("force-unlock", "--env ENV --stack ID --lock-id LOCK_ID [--root DIR]")
	f.register(fs)
	fs.StringVar(&stack, "stack", "", "the stack whose lock to remove")
	fs.StringVar(&lockID, "lock-id", "", "the lock ID the held-lock message named")
	fs.StringVar(&binary, "binary", "", "terraform or tofu (default: $TF_BINARY, then the environment's terraform.binary)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if stack == "" || lockID == "" {
		return errors.New("pass --stack and --lock-id (both are in the held-lock message)")
	}
	r, err := stackrun.New(ctx, stackrun.Options{Root: f.root, Environment: f.env, Stacks: []string{stack}, Binary: binary, Out: os.Stdout})
	if err != nil {
		return err
	}
	return r.ForceUnlock(ctx, stack, lockID)
}
