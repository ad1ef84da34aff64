package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Backoff shapes WaitForTag's retries.
type Backoff struct {
	// Initial is the first delay (default 1s).
	Initial time.Duration
	// Max caps a single delay (default 20s).
	Max time.Duration
	// Factor multiplies the delay after each miss (default 2).
	Factor float64
	// Timeout is the overall deadline (default 10m).
	Timeout time.Duration
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = time.Second
	}
	if b.Max <= 0 {
		b.Max = 20 * time.Second
	}
	if b.Factor < 1 {
		b.Factor = 2
	}
	if b.Timeout <= 0 {
		b.Timeout = 10 * time.Minute
	}
	return b
}

// Sleeper waits for d or until ctx ends; tests inject a fake.
type Sleeper func(ctx context.Context, d time.Duration) error

func realSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// WaitOptions configure WaitForTag.
type WaitOptions struct {
	Backoff Backoff
	// Progress receives one line per attempt (io.Discard when nil).
	Progress io.Writer
	// Sleep replaces the real sleep (tests).
	Sleep Sleeper
	// Now replaces time.Now (tests).
	Now func() time.Time
}

// WaitForTag polls the registry (one HEAD per attempt) until tag exists, backing off exponentially, and
// returns its digest. Only for the two-pipeline case where another job pushes; a missing tag after the
// deadline is an error naming the attempts made. Errors other than "not found" end the wait at once.
func WaitForTag(ctx context.Context, reg Registry, repository, tag string, opts WaitOptions) (Resolved, int, error) {
	b := opts.Backoff.withDefaults()
	sleep, now, out := opts.Sleep, opts.Now, opts.Progress
	if sleep == nil {
		sleep = realSleep
	}
	if now == nil {
		now = time.Now
	}
	if out == nil {
		out = io.Discard
	}
	deadline := now().Add(b.Timeout)
	delay := b.Initial
	for attempt := 1; ; attempt++ {
		res, err := ResolveTag(ctx, reg, repository, tag)
		if err == nil {
			fmt.Fprintf(out, "tag %s:%s found after %d attempt(s): %s\n", repository, tag, attempt, res.Image.Digest())
			return res, attempt, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return Resolved{}, attempt, err
		}
		left := deadline.Sub(now())
		if left <= 0 {
			return Resolved{}, attempt, fmt.Errorf("tag %s:%s did not appear within %s (%d attempts): check the build pipeline pushed it, or raise --timeout", repository, tag, b.Timeout, attempt)
		}
		if delay > left {
			delay = left
		}
		fmt.Fprintf(out, "waiting for %s:%s (attempt %d, not pushed yet; next check in %s, %s left)\n",
			repository, tag, attempt, delay.Round(100*time.Millisecond), left.Round(time.Second))
		if err := sleep(ctx, delay); err != nil {
			return Resolved{}, attempt, fmt.Errorf("wait for %s:%s: %w", repository, tag, err)
		}
		delay = time.Duration(float64(delay) * b.Factor)
		if delay > b.Max {
			delay = b.Max
		}
	}
}
