package awsfront

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/awsfront/control"
)

// Faults holds the faults installed through the control API. The registry fronts share it (service
// "registry").
type Faults struct {
	mu     sync.Mutex
	seq    int
	faults map[string]*control.Fault
}

// NewFaults returns an empty fault set.
func NewFaults() *Faults { return &Faults{faults: map[string]*control.Fault{}} }

// Add installs f and returns it with its ID.
func (s *Faults) Add(f control.Fault) (control.Fault, error) {
	if err := f.Validate(); err != nil {
		return f, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	f.ID = fmt.Sprintf("fault-%d", s.seq)
	f.Remaining = f.Count
	if f.Count == 0 {
		f.Remaining = -1
	}
	s.faults[f.ID] = &f
	return f, nil
}

// List returns the installed faults in the order they were added.
func (s *Faults) List() []control.Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]control.Fault, 0, len(s.faults))
	for _, f := range s.faults {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool {
		return len(out[i].ID) < len(out[j].ID) || len(out[i].ID) == len(out[j].ID) && out[i].ID < out[j].ID
	})
	return out
}

// Remove deletes one fault (id) or all (id == "").
func (s *Faults) Remove(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		s.faults = map[string]*control.Fault{}
		return true
	}
	_, ok := s.faults[id]
	delete(s.faults, id)
	return ok
}

// Take returns the first fault matching the call and consumes one of its uses, or nil. A fault whose
// uses are spent is removed.
func (s *Faults) Take(service, operation, account string) *control.Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.faults))
	for id := range s.faults {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		f := s.faults[id]
		if !f.Matches(service, operation, account) {
			continue
		}
		taken := *f
		if f.Remaining > 0 {
			f.Remaining--
			if f.Remaining == 0 {
				delete(s.faults, id)
			}
		}
		return &taken
	}
	return nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
