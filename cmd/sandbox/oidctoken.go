package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/platformteam/delivery/internal/iampolicy"
	"github.com/platformteam/delivery/internal/sandbox"
	"github.com/platformteam/delivery/internal/sandbox/oidc"
	"github.com/platformteam/delivery/internal/sandbox/twin"
)

const oidcTokenUsage = `usage: go run ./cmd/sandbox oidc-token [flags]

Mints the GitHub Actions OIDC token a job would get, signed by the sandbox's issuer (trusted by the
twin accounts' OIDC providers, worthless anywhere else), and writes it to --out or stdout.

  --github-environment NAME   the job's environment: (sub repo:<repo>:environment:<NAME>)
  --event NAME                push (default), pull_request, schedule, workflow_dispatch
  --ref REF                   default refs/heads/main (pull_request: refs/pull/1/merge)
  --repository OWNER/NAME     default: github_repository of environments/<--env>, else platformteam/delivery
  --env NAME                  environment whose tfvars name the repository
  --sha SHA --run-id ID --actor NAME --workflow NAME   further claims
  --out FILE                  write the token there (0600) instead of stdout (AWS_WEB_IDENTITY_TOKEN_FILE)
`

// oidcToken mints a token for scripts and the workflow runner.
// The layout is discovered after the flags are parsed, so -h works anywhere.
func oidcToken(discover func() (sandbox.Layout, error), args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("oidc-token", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	ghEnv := fs.String("github-environment", "", "")
	event := fs.String("event", "push", "")
	ref := fs.String("ref", "", "")
	repository := fs.String("repository", "", "")
	env := fs.String("env", "", "")
	sha := fs.String("sha", "0000000000000000000000000000000000000000", "")
	runID := fs.String("run-id", "1", "")
	actor := fs.String("actor", "sandbox", "")
	workflow := fs.String("workflow", "deploy", "")
	out := fs.String("out", "", "")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, oidcTokenUsage)
		return nil
	} else if err != nil {
		return usageError{"oidc-token: " + err.Error() + "\n\n" + oidcTokenUsage}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("oidc-token: unexpected argument %q\n\n%s", fs.Arg(0), oidcTokenUsage)}
	}
	layout, err := discover()
	if err != nil {
		return err
	}
	repo := *repository
	if repo == "" && *env != "" {
		s, err := iampolicy.LoadSettings(layout.RepoRoot, *env)
		if err != nil {
			return err
		}
		repo = s.GitHubRepository
	}
	if repo == "" {
		repo = "platformteam/delivery"
	}
	r := *ref
	if r == "" {
		r = "refs/heads/main"
		if *event == "pull_request" {
			r = "refs/pull/1/merge"
		}
	}
	job := oidc.Job{Repository: repo, Event: *event, Ref: r, Environment: *ghEnv, SHA: *sha, RunID: *runID, Actor: *actor,
		Workflow: *workflow, WorkflowRef: repo + "/.github/workflows/" + *workflow + ".yml@" + r}
	if _, err := os.Stat(twin.IssuerKeyFile(layout.StateDir)); errors.Is(err, os.ErrNotExist) {
		return errors.New("the sandbox's OIDC issuer has no key yet: run `go run ./cmd/sandbox up` first")
	}
	token, err := twin.Token(layout.StateDir, job, time.Now())
	if err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(stdout, token)
		return nil
	}
	if err := os.WriteFile(*out, []byte(token), 0o600); err != nil {
		return fmt.Errorf("write the token: %w", err)
	}
	fmt.Fprintf(stdout, "wrote a token for %s to %s (valid %s)\n", job.Subject(), *out, oidc.DefaultLifetime)
	return nil
}
