// Package waitprogress prints how a wait is going: one line each time its state changes and, while the
// state stays the same, a heartbeat line with the time left (CI systems kill jobs that stay silent).
// Every line is stamped with the time elapsed since the wait started. It owns this output for every
// wait of a deploy: an ECS rollout, an ECS service deployment, a Helm release's resources, a restart.
package waitprogress

import (
	"fmt"
	"io"
	"time"
)

// Heartbeat is how long a wait stays silent when nothing changes.
const Heartbeat = 30 * time.Second

// Printer prints one wait's progress. It is not safe for concurrent use: one wait, one goroutine.
type Printer struct {
	out       io.Writer
	start     time.Time
	deadline  time.Time
	last      string
	lastPrint time.Time
}

// New starts the progress of a wait that began at start and gives up at deadline.
func New(out io.Writer, start, deadline time.Time) *Printer {
	return &Printer{out: out, start: start, deadline: deadline, lastPrint: start}
}

// Observe reports the wait's state at now. It prints the state when it differs from the last one
// observed, and says whether it did; otherwise, once Heartbeat has passed since the last line, it
// prints "still <state> (<time> left)".
func (p *Printer) Observe(now time.Time, state string) (changed bool) {
	switch {
	case state != p.last:
		p.Printf(now, "%s", state)
		p.last = state
		return true
	case now.Sub(p.lastPrint) >= Heartbeat:
		p.Printf(now, "still %s (%s left)", state, p.deadline.Sub(now).Round(time.Second))
	}
	return false
}

// Printf prints one line about the wait at now, stamped with the time elapsed.
func (p *Printer) Printf(now time.Time, format string, args ...any) {
	fmt.Fprintf(p.out, "  [%s] %s\n", now.Sub(p.start).Round(time.Second), fmt.Sprintf(format, args...))
	p.lastPrint = now
}

// Last is the last state observed ("" before the first).
func (p *Printer) Last() string { return p.last }

// Elapsed is the time since the wait started, at now.
func (p *Printer) Elapsed(now time.Time) time.Duration { return now.Sub(p.start) }
