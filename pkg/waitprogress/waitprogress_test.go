package waitprogress

import (
	"strings"
	"testing"
	"time"
)

func TestObservePrintsChangesAndHeartbeats(t *testing.T) {
	var out strings.Builder
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	p := New(&out, t0, t0.Add(5*time.Minute))
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

	if !p.Observe(at(1), "waiting for 0/2 tasks") {
		t.Fatal("the first state must count as a change")
	}
	if p.Observe(at(10), "waiting for 0/2 tasks") {
		t.Fatal("the same state again is no change")
	}
	p.Observe(at(31), "waiting for 0/2 tasks") // 30 s since the last line: a heartbeat
	p.Observe(at(40), "waiting for 0/2 tasks") // 9 s after the heartbeat: silent
	p.Printf(at(45), "reading the service works again after %d failed call(s)", 2)
	p.Observe(at(70), "waiting for 0/2 tasks") // 25 s after the last line of any kind: silent
	if !p.Observe(at(72), "waiting for 1/2 tasks") {
		t.Fatal("a new state must count as a change")
	}
	want := strings.Join([]string{
		"  [1s] waiting for 0/2 tasks",
		"  [31s] still waiting for 0/2 tasks (4m29s left)",
		"  [45s] reading the service works again after 2 failed call(s)",
		"  [1m12s] waiting for 1/2 tasks",
		"",
	}, "\n")
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if p.Last() != "waiting for 1/2 tasks" || p.Elapsed(at(72)) != 72*time.Second {
		t.Fatalf("Last %q, Elapsed %s", p.Last(), p.Elapsed(at(72)))
	}
}
