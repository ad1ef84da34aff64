package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// WaitUntil polls check until it succeeds, ctx ends or timeout passes. It prints what it waits for
// every 10 s, and on failure returns the last check error with the hint appended. A check that
// returns a Permanent error stops the wait at once.
func WaitUntil(ctx context.Context, progress io.Writer, what string, timeout time.Duration, hint string, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	const progressEvery = 10 * time.Second
	start := time.Now()
	nextNote := start.Add(progressEvery)
	delay := 50 * time.Millisecond
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		var stop permanentError
		if errors.As(err, &stop) {
			return fmt.Errorf("%s: %w; %s", what, stop.err, hint)
		}
		if time.Now().After(nextNote) {
			fmt.Fprintf(progress, "  still waiting for %s (%s): %v\n", what, time.Since(start).Round(time.Second), err)
			nextNote = time.Now().Add(progressEvery)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %v; %s", what, time.Since(start).Round(time.Second), err, hint)
		case <-time.After(delay):
		}
		if delay < time.Second {
			delay *= 2
		}
	}
}

// Permanent marks err as one that waiting longer cannot cure (the process exited, it is the wrong
// version): WaitUntil returns it at once.
func Permanent(err error) error { return permanentError{err} }

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }
