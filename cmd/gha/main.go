// Command gha hands a pipeline step's report.json to the CI surface it runs on: on GitHub Actions it
// writes step outputs, the step summary, masks and error annotations; elsewhere it prints them.
//
//	go run ./cmd/gha publish out/plan/report.json
//
// It exits with the report's exit code, so a workflow step fails (or signals drift with 2) as the
// pipeline step did.
package main

import (
	"fmt"
	"os"

	"github.com/platformteam/delivery/pkg/ghactions"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	if len(args) != 2 || args[0] != "publish" {
		fmt.Fprintln(os.Stderr, "usage: gha publish <report.json>")
		return 64
	}
	rep, err := ghactions.ReadReport(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "gha:", err)
		return 1
	}
	ghactions.New(os.Stdout, os.Getenv).Publish(rep)
	return rep.ExitCode
}
