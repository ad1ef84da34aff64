package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/platformteam/delivery/internal/sandbox"
)

func printStatus(w io.Writer, r sandbox.Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tVERSION\tADDRESS\tSTATE\tDETAIL")
	rows := append(slices.Clone(r.Components), r.Terraform, r.Dagger)
	for _, c := range rows {
		state := "down"
		if c.Up {
			state = "up"
		}
		detail := c.Detail
		if c.PID > 0 && detail == "" {
			detail = fmt.Sprintf("pid %d", c.PID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Name, dash(c.Version), dash(c.Address), state, detail)
	}
	tw.Flush()
	if r.EnvFile != "" {
		fmt.Fprintf(w, "\nenv file: %s\n", r.EnvFile)
	} else {
		fmt.Fprintln(w, "\nenv file: none (run `go run ./cmd/sandbox up`)")
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
