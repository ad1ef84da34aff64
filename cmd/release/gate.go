package main

import (
	"context"
	"fmt"
	"io"

	"github.com/platformteam/delivery/pkg/release"
)

// gateCmd runs the deploy gate alone: is the artifact's digest signed and attested under the
// environment's trust policy? It changes nothing; every deploy runs the same check first.
func gateCmd(ctx context.Context, args []string) error {
	c := newFlags("gate")
	if err := c.parse(args); err != nil {
		return err
	}
	acc, a, err := c.accessAndArtifact()
	if err != nil {
		return err
	}
	d, err := release.Gate(ctx, acc, a)
	if d.Environment != "" {
		if emitErr := c.emit(d, func(w io.Writer) {
			for _, ch := range d.Checks {
				mark := "ok  "
				if !ch.OK {
					mark = "FAIL"
				}
				fmt.Fprintf(w, "%s %s: %s\n", mark, ch.Name, ch.Detail)
			}
		}); emitErr != nil && err == nil {
			err = emitErr
		}
	}
	return err
}
