package stackrun

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// stackJob performs one action on one stack, writing terraform's output to log.
type stackJob func(ctx context.Context, id string, log *bytes.Buffer) StackResult

type finished struct {
	id  string
	res StackResult
	log []byte
}

// runAll runs job over the selected stacks. A stack starts as soon as every selected upstream has
// succeeded (no wave barrier, so a slow stack holds back only its own dependents), at most Parallelism at
// a time, ready stacks in dependency order. A failed or skipped stack skips its dependents; independent
// branches continue. Each stack's output is printed as one block when it finishes.
func (r *Runner) runAll(ctx context.Context, action Action, job stackJob) *Summary {
	sum := &Summary{Environment: r.env.Name, Action: action, Started: time.Now(), Parallelism: r.opts.Parallelism}
	if r.opts.AccountGuard != nil {
		err := r.opts.AccountGuard(ctx)
		sum.Guard = time.Since(sum.Started)
		if err != nil {
			sum.Error = fmt.Sprintf("%s %s refused before any terraform command: %v", action, r.env.Name, err)
			return sum
		}
	}
	selected := map[string]bool{}
	for _, id := range r.selected {
		selected[id] = true
	}
	results := map[string]StackResult{}
	started := map[string]time.Time{}
	done := make(chan finished)
	running := 0

	tick := time.NewTicker(r.opts.ProgressEvery)
	defer tick.Stop()

	for len(results) < len(r.selected) {
		for _, id := range r.selected {
			if _, ok := results[id]; ok || !started[id].IsZero() {
				continue
			}
			if ctx.Err() != nil && running == 0 {
				res := StackResult{Stack: id, Action: action, Status: StatusSkipped, Outcome: "not started",
					Error: "interrupted before it started: " + ctx.Err().Error(), Selected: r.reasons[id]}
				results[id] = res
				r.printBlock(res, nil)
				continue
			}
			if ctx.Err() != nil {
				continue // interrupted: start nothing new, wait for the running stacks to stop
			}
			ready, blocker := r.readiness(id, selected, results)
			if blocker != "" {
				res := StackResult{Stack: id, Action: action, Status: StatusSkipped, Outcome: "skipped", SkippedBecause: blocker, Selected: r.reasons[id]}
				if results[blocker].Status == StatusPending {
					res.Status, res.Outcome = StatusPending, pendingOutcome
					if action == ActionDrift {
						pendingDrift(&res, blocker)
					}
				}
				results[id] = res
				r.printBlock(res, nil)
				continue
			}
			if !ready || running >= r.opts.Parallelism {
				continue
			}
			running++
			started[id] = time.Now()
			go func(id string) { done <- r.runOne(ctx, action, job, id) }(id)
		}
		if len(results) == len(r.selected) {
			break
		}
		select {
		case f := <-done:
			running--
			results[f.id] = f.res
			r.printBlock(f.res, f.log)
		case <-tick.C:
			r.printProgress(action, started, results)
		}
	}
	for _, id := range r.selected {
		res := results[id]
		if !started[id].IsZero() {
			res.Start = started[id].Sub(sum.Started)
		}
		sum.Stacks = append(sum.Stacks, res)
	}
	sum.Duration = time.Since(sum.Started)
	return sum
}

// runOne runs one stack's job under the stack timeout and fills in the result's common fields.
func (r *Runner) runOne(ctx context.Context, action Action, job stackJob, id string) finished {
	var log bytes.Buffer
	sctx, cancel := context.WithTimeout(ctx, r.opts.StackTimeout)
	defer cancel()
	begin := time.Now()
	res := job(sctx, id, &log)
	res.Stack, res.Action, res.Duration, res.Selected = id, action, time.Since(begin), r.reasons[id]
	if res.err != nil && sctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		res.err = fmt.Errorf("%s %s did not finish within %s (raise --stack-timeout): %w", action, id, r.opts.StackTimeout, res.err)
	}
	if res.err != nil {
		res.Status, res.Error = StatusFailed, res.err.Error()
	} else if res.Status == "" {
		res.Status = StatusSucceeded
	}
	return finished{id: id, res: res, log: log.Bytes()}
}

// readiness reports whether every selected upstream succeeded, or names the one that failed/was skipped.
func (r *Runner) readiness(id string, selected map[string]bool, results map[string]StackResult) (bool, string) {
	ready := true
	for _, up := range r.graph.Upstreams(id) {
		if !selected[up] {
			continue // not part of this run: its current state is what the stack reads
		}
		res, ok := results[up]
		if !ok {
			ready = false
			continue
		}
		if res.Status != StatusSucceeded {
			return false, up
		}
	}
	return ready, ""
}

func (r *Runner) printBlock(res StackResult, log []byte) {
	r.printMu.Lock()
	defer r.printMu.Unlock()
	var b strings.Builder
	head := fmt.Sprintf("── %s · %s · %s", res.Stack, res.Action, res.Outcome)
	if res.Status != StatusSkipped && res.Status != StatusPending && (res.Action == ActionPlan || res.Action == ActionApply || res.Action == ActionDrift) {
		head += fmt.Sprintf(" · +%d ~%d -%d", res.Add, res.Change, res.Destroy)
	}
	if res.Duration > 0 {
		head += " · " + res.Duration.Round(100*time.Millisecond).String()
	}
	b.WriteString(head + " " + strings.Repeat("─", max(3, 78-len([]rune(head)))) + "\n")
	if len(log) > 0 {
		b.Write(bytes.TrimRight(log, "\n"))
		b.WriteString("\n")
	}
	switch {
	case res.Status == StatusPending:
		fmt.Fprintf(&b, "pending: plan this stack after %s is applied\n", res.SkippedBecause)
	case res.SkippedBecause != "":
		fmt.Fprintf(&b, "skipped: upstream %s did not succeed\n", res.SkippedBecause)
	case res.Error != "":
		b.WriteString("error: " + res.Error + "\n")
	}
	fmt.Fprint(r.opts.Out, b.String())
}

func (r *Runner) printProgress(action Action, started map[string]time.Time, results map[string]StackResult) {
	var busy []string
	for id, t := range started {
		if _, ok := results[id]; !ok {
			busy = append(busy, fmt.Sprintf("%s (%s)", id, time.Since(t).Round(time.Second)))
		}
	}
	sort.Strings(busy)
	r.printMu.Lock()
	defer r.printMu.Unlock()
	fmt.Fprintf(r.opts.Progress, "stacks %s: %d/%d done; running %s\n", action, len(results), len(r.selected), strings.Join(busy, ", "))
}
