// Command release is the release engine's CLI: one build's artifact.json, the image behind it, and
// its deploys to ECS and EKS.
//
//	release <group> <command> --env <env> [--root <dir>] [flags]
//
// Progress goes to stderr; the result goes to stdout (JSON with --json). Exit codes are listed in
// docs/release-engine.md and below.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/platformteam/delivery/pkg/release/api"
)

// Exit codes (api.Exit*). Deploy pipelines branch on them, so they never change meaning.
const (
	exitOK            = api.ExitOK
	exitFailed        = api.ExitFailed
	exitUsage         = api.ExitUsage
	exitRolledBack    = api.ExitRolledBack
	exitNotRolledBack = api.ExitNotRolledBack
	exitMismatch      = api.ExitMismatch
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = map[string]command{
	"artifact write":     {"resolve a published ref (one HEAD request) and write artifact.json", artifactWrite},
	"artifact show":      {"validate and print artifact.json", artifactShow},
	"image push":         {"push an OCI layout or tarball built elsewhere, tag = short SHA (immutable: same digest is a no-op); with --build, sign it and attach its SBOM and SLSA provenance first; writes artifact.json", imagePush},
	"image find":         {"look up the commit's tag in the environment's repository (a commit is built once)", imageFind},
	"image promote":      {"copy --artifact's image by digest into the environment's repository (cross-account); writes the promoted artifact.json", imagePromote},
	"image resolve":      {"confirm a published ref or resolve a tag to its digest (one HEAD request)", imageResolve},
	"image wait-for-tag": {"wait (exponential backoff, deadline) until another pipeline pushes the tag", imageWaitForTag},
	"ecs diff":           {"show what the next task definition revision changes; registers nothing", ecsDiff},
	"ecs deploy":         {"register the next revision with the artifact's digest, update the service, wait", ecsDeploy},
	"ecs rollback":       {"point the service at the previous (or --to) revision and wait", ecsRollback},
	"ecs restart":        {"replace every task with the same task definition (a new deployment, same digest) and wait", ecsRestart},
	"ecs history":        {"list the service family's task definition revisions, marking the running one", ecsHistory},
	"chart lint":         {"lint and render the environment's chart with its values files (no cluster)", chartLint},
	"eks deploy":         {"render the chart, self-heal the release, helm upgrade --install (atomic, fail-fast)", eksDeploy},
	"eks rollback":       {"roll the Helm release back to the previous (or --to) revision", eksRollback},
	"eks history":        {"list the Helm release's revisions", eksHistory},
	"eks restart":        {"replace every pod of the release with an identical one (rollout restart, same revision) and wait", eksRestart},
	"unlock":             {"remove a deploy lock whose holder died, by its token (printed by the refused deploy)", unlockCmd},
	"verify":             {"check the digest running on ECS and EKS equals the artifact's, and report whether each running digest is signed and attested", verifyCmd},
	"gate":               {"the deploy gate alone: is the artifact's digest signed and attested under the environment's trust policy (changes nothing)", gateCmd},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	name, rest := splitCommand(args)
	cmd, ok := commands[name]
	if !ok {
		if name != "" && name != "help" && name != "-h" && name != "--help" {
			fmt.Fprintf(os.Stderr, "release: unknown command %q\n\n", name)
		}
		usage()
		if name == "help" || name == "-h" || name == "--help" {
			return exitOK
		}
		return exitUsage
	}
	err := cmd.run(ctx, rest)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(os.Stderr, "release %s: %v\n", name, err)
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.code
	}
	return exitFailed
}

// splitCommand takes the one- or two-word command name off the front of args.
func splitCommand(args []string) (string, []string) {
	if len(args) == 0 {
		return "", nil
	}
	if len(args) >= 2 {
		if _, ok := commands[args[0]+" "+args[1]]; ok {
			return args[0] + " " + args[1], args[2:]
		}
	}
	return args[0], args[1:]
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: release <command> --env <env> [--root <dir>] [flags]   (add -h to a command for its flags)")
	fmt.Fprintln(os.Stderr, "\ncommands:")
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-20s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nexit codes: 0 ok, 1 failed, 2 usage, 3 deploy failed and rolled back, 4 deploy failed and NOT rolled back, 5 verify mismatch")
}

// codedError carries a specific exit code.
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &codedError{code: code, err: err}
}

// usageError marks bad flags (exit 2).
func usageError(format string, a ...any) error {
	return withCode(exitUsage, fmt.Errorf(format, a...))
}
