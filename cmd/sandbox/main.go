// Command sandbox brings the local stand-ins for AWS, the registry and Kubernetes up and down.
//
//	go run ./cmd/sandbox up [--with-dagger]   start everything (idempotent), write .sandbox/env
//	go run ./cmd/sandbox down [--purge]       stop what up started; --purge also deletes .sandbox
//	go run ./cmd/sandbox status               show each component: version, address, up/down
//	go run ./cmd/sandbox env                  print the env file as export lines (eval "$(...)")
//	go run ./cmd/sandbox oidc-token [flags]   mint a GitHub-like OIDC token for a job (twin accounts)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/platformteam/delivery/internal/sandbox"
)

const usage = `usage: go run ./cmd/sandbox <command> [flags]

commands:
  up [--with-dagger]   install what is missing, start every component, wait until ready, seed moto,
                       write the env file (a second run is a no-op)
  down [--purge]       stop exactly the processes up started; --purge also deletes the state directory
  status               show each component's version, address and state (exit 1 if any is down)
  env                  print the env file as export lines: eval "$(go run ./cmd/sandbox env)"
  oidc-token [flags]   mint the OIDC token GitHub would give a job (see oidc-token --help)

environment: SANDBOX_DIR (state, default .sandbox), DELIVERY_CACHE_DIR (built tools, default .cache)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		var usageErr usageError
		if errors.As(err, &usageErr) {
			fmt.Fprint(os.Stderr, usage)
			fmt.Fprintln(os.Stderr, "\nerror:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"no command given"}
	}
	command, rest := args[0], args[1:]
	if command == "oidc-token" {
		return oidcToken(discoverLayout, rest, stdout)
	}
	flags := flag.NewFlagSet(command, flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	withDagger := flags.Bool("with-dagger", false, "also bring up the offline Dagger engine")
	purge := flags.Bool("purge", false, "delete the state directory after stopping")
	if err := flags.Parse(rest); err != nil {
		return usageError{fmt.Sprintf("%s: %v", command, err)}
	}
	if flags.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", command, flags.Arg(0))}
	}
	allowed := map[string][]string{"up": {"with-dagger"}, "down": {"purge"}, "status": {"with-dagger"}, "env": nil}
	names, ok := allowed[command]
	if !ok {
		return usageError{fmt.Sprintf("unknown command %q", command)}
	}
	var flagErr error
	flags.Visit(func(f *flag.Flag) {
		for _, n := range names {
			if n == f.Name {
				return
			}
		}
		flagErr = usageError{fmt.Sprintf("%s does not take --%s", command, f.Name)}
	})
	if flagErr != nil {
		return flagErr
	}

	layout, err := discoverLayout()
	if err != nil {
		return err
	}
	opts := sandbox.Options{Layout: layout, WithDagger: *withDagger, Progress: stderr}

	switch command {
	case "up":
		_, err := sandbox.Up(ctx, opts)
		return err
	case "down":
		return sandbox.Down(ctx, opts, *purge)
	case "status":
		report := sandbox.Status(ctx, opts)
		printStatus(stdout, report)
		if !report.AllUp() {
			return errors.New("some components are down: run `go run ./cmd/sandbox up`")
		}
		return nil
	default: // env
		vars, err := sandbox.ReadEnvFile(layout.EnvFile())
		if err != nil {
			return err
		}
		for _, line := range vars.ExportLines() {
			fmt.Fprintln(stdout, line)
		}
		return nil
	}
}

func discoverLayout() (sandbox.Layout, error) {
	wd, err := os.Getwd()
	if err != nil {
		return sandbox.Layout{}, err
	}
	return sandbox.DiscoverLayout(wd)
}
