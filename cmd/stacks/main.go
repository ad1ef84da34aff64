// Command stacks is the stack engine's CLI: lint the blueprint, show the stack graph, and plan, apply,
// check drift of, or read outputs of an environment's stacks in dependency order.
//
//	go run ./cmd/stacks lint   [--root DIR] [--env ENV] [--json]
//	go run ./cmd/stacks graph  [--root DIR] [--env ENV] [--format text|dot|json] [--changed-since REF]
//	go run ./cmd/stacks plan   --env ENV [--root DIR] [--stack ID]... [--changed-since REF] [--parallelism N] [--json]
//	go run ./cmd/stacks apply  --env ENV ...   (applies saved plans, or plans first)
//	go run ./cmd/stacks drift  --env ENV ...   (exit 2 when any stack drifted)
//	go run ./cmd/stacks output --env ENV ...
//	go run ./cmd/stacks account --env ENV [--json]   (the account guard; plan/apply/drift run it first)
//
// Exit codes: 0 ok; 1 lint errors, bad input or a failed stack; 2 drift found.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: stacks <command> [flags]

commands:
  lint     check modules/, stacks/ and environments/ against the conventions (exit 1 on errors)
  graph    print the stack order and waves (--format text|dot|json)
  plan     plan the selected stacks and write a plan bundle (.delivery/plans/<env>/, --plan-dir)
  apply    apply a reviewed bundle exactly (--bundle DIR [--approve]) or plan+apply (not production)
  drift    changes made outside Terraform and code not applied, told apart; exit 2 when any
  output   print the stacks' outputs
  force-unlock  remove a state lock left by a killed run (--env, --stack, --lock-id)
  account  the account guard: the credentials must belong to the environment's account_id (exit 1 if not)
  guard    run a dagger command so that Ctrl-C / a CI cancel stops terraform gracefully

run "stacks <command> -h" for its flags`

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err == nil {
		return
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "stacks:", ee.err)
		}
		os.Exit(ee.code)
	}
	fmt.Fprintln(os.Stderr, "stacks:", err)
	os.Exit(1)
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(os.Stderr, usage)
		if len(args) == 0 {
			return &exitError{code: 1}
		}
		return nil
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "lint":
		return lintCommand(rest)
	case "graph":
		return graphCommand(ctx, rest)
	case "plan", "apply", "drift", "output":
		return runCommand(ctx, cmd, rest)
	case "force-unlock":
		return forceUnlockCommand(ctx, rest)
	case "account":
		return accountCommand(ctx, rest)
	case "exec":
		return execCommand(rest)
	case "guard":
		return guardCommand(rest)
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}
