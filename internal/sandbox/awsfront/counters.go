package awsfront

import (
	"sort"
	"sync"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/control"
)

type counterKey struct {
	account, service, operation string
	mutating                    bool
}

// Counters count calls per account and operation.
type Counters struct {
	mu     sync.Mutex
	since  time.Time
	counts map[counterKey]*control.RequestCount
}

// NewCounters returns zeroed counters.
func NewCounters() *Counters {
	return &Counters{since: time.Now().UTC(), counts: map[counterKey]*control.RequestCount{}}
}

// Record counts one call; refused marks a call the twin answered with an error itself.
func (c *Counters) Record(account, service, operation string, mutating, refused bool) {
	k := counterKey{account, service, operation, mutating}
	c.mu.Lock()
	defer c.mu.Unlock()
	rc, ok := c.counts[k]
	if !ok {
		rc = &control.RequestCount{Account: account, Service: service, Operation: operation, Mutating: mutating}
		c.counts[k] = rc
	}
	rc.Count++
	if refused {
		rc.Refused++
	}
}

// Snapshot returns the counts, sorted.
func (c *Counters) Snapshot() control.Requests {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := control.Requests{Since: c.since, Counts: make([]control.RequestCount, 0, len(c.counts))}
	for _, rc := range c.counts {
		out.Counts = append(out.Counts, *rc)
	}
	sort.Slice(out.Counts, func(i, j int) bool {
		a, b := out.Counts[i], out.Counts[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		return a.Operation < b.Operation
	})
	return out
}

// Reset zeroes every counter.
func (c *Counters) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.since = time.Now().UTC()
	c.counts = map[counterKey]*control.RequestCount{}
}
