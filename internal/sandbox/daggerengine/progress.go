package daggerengine

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// progress prints one line per event, prefixed so interleaved sandbox output stays readable.
type progress struct{ w io.Writer }

func newProgress(w io.Writer) progress {
	if w == nil {
		w = io.Discard
	}
	return progress{w: w}
}

// Write prints what package proc reports as the same prefixed lines.
func (p progress) Write(b []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line != "" {
			fmt.Fprint(p.w, "dagger: "+line)
		}
	}
	return len(b), nil
}

func (p progress) linef(format string, args ...any) {
	fmt.Fprintf(p.w, "dagger: "+format+"\n", args...)
}

// step runs fn with its own timeout, announcing start and duration, and prints a heartbeat every
// 30 s so a long build never looks hung.
func (p progress) step(ctx context.Context, name string, timeout time.Duration, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p.linef("%s ...", name)
	start := time.Now()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.linef("%s: still running (%s elapsed, timeout %s)", name, time.Since(start).Round(time.Second), timeout)
			}
		}
	}()
	err := fn(ctx)
	close(done)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: timed out after %s: %w", name, timeout, err)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	p.linef("%s: done in %s", name, time.Since(start).Round(100*time.Millisecond))
	return nil
}
