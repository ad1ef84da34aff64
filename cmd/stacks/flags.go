package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// stringList is a repeatable flag (--stack a --stack b, or --stack a,b).
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*s = append(*s, part)
		}
	}
	return nil
}

// commonFlags are shared by every command.
type commonFlags struct {
	root string
	env  string
	json bool
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.root, "root", ".", "repository root holding environments/ (and modules/, stacks/ unless the environment sets terraform.stacks_root)")
	fs.StringVar(&c.env, "env", "", "environment name (a folder under environments/)")
	fs.BoolVar(&c.json, "json", false, "print machine-readable JSON on stdout (stack output goes to stderr)")
}

// runFlags are the flags of plan/apply/drift/output.
type runFlags struct {
	commonFlags
	stacks       stringList
	changedSince string
	parallelism  int
	binary       string
	planDir      string
	markdown     string
	lockTimeout  time.Duration
	stackTimeout time.Duration
	bundle       string
	approve      bool
	commit       string
}

func (f *runFlags) register(fs *flag.FlagSet) {
	f.commonFlags.register(fs)
	fs.Var(&f.stacks, "stack", "stack id to act on, e.g. shared/vpc (repeatable; default: all stacks)")
	fs.StringVar(&f.changedSince, "changed-since", "", "act on stacks changed since this git ref plus all their dependents")
	fs.IntVar(&f.parallelism, "parallelism", 0, "stacks run at once (default: the environment's terraform.parallelism, 4)")
	fs.StringVar(&f.binary, "binary", "", "terraform or tofu (default: $TF_BINARY, then the environment's terraform.binary)")
	fs.StringVar(&f.planDir, "plan-dir", "", "plan: where to write the plan bundle (default <root>/.delivery/plans/<env>)")
	fs.StringVar(&f.bundle, "bundle", "", "apply: apply exactly this reviewed plan bundle (required for a production environment)")
	fs.BoolVar(&f.approve, "approve", false, "apply: confirm applying the reviewed bundle to a production environment")
	fs.StringVar(&f.commit, "commit", "", "the commit a bundle is bound to (default: git rev-parse HEAD in --root)")
	fs.StringVar(&f.markdown, "markdown-file", "", "also write the markdown summary to this file (e.g. $GITHUB_STEP_SUMMARY, appended)")
	fs.DurationVar(&f.lockTimeout, "lock-timeout", 5*time.Minute, "apply: how long to wait for a held state lock before reporting its holder (0: fail at once; plans never lock)")
	fs.DurationVar(&f.stackTimeout, "stack-timeout", 30*time.Minute, "upper bound for one stack's action")
}

func newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: stacks %s %s\n\nflags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return &exitError{code: 0}
		}
		return &exitError{code: 1}
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (flags only; see stacks %s -h)", fs.Args(), fs.Name())
	}
	return nil
}
