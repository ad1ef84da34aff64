// Command gha hands a pipeline step's report.json to the CI surface it runs on: on GitHub Actions it
// writes step outputs, the step summary, masks and error annotations; elsewhere it prints them.
//
//	go run ./cmd/gha publish [--markdown-out summary.md] out/plan/report.json
//
// --markdown-out also writes the report's markdown to a file (for a PR comment or a build artifact).
//
// It exits with the report's exit code, so a workflow step fails (or signals drift with 2) as the
// pipeline step did.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/platformteam/delivery/pkg/ghactions"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	const usage = "usage: gha publish [--markdown-out FILE] <report.json>"
	if len(args) == 0 || args[0] != "publish" {
		fmt.Fprintln(os.Stderr, usage)
		return 64
	}
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	mdOut := fs.String("markdown-out", "", "also write the report's markdown to this file")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(os.Stderr, usage)
		return 64
	}
	rep, err := ghactions.ReadReport(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gha:", err)
		return 1
	}
	if *mdOut != "" {
		if err := os.WriteFile(*mdOut, []byte(rep.Markdown), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "gha: write %s: %v\n", *mdOut, err)
			return 1
		}
	}
	ghactions.New(os.Stdout, os.Getenv).Publish(rep)
	return rep.ExitCode
}
