package proc

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Lock is an exclusive advisory lock on a file (flock), held by one process at a time, so two
// supervisors never start or stop the same processes at once. The kernel releases it when the process
// exits, so a crashed holder never leaves it locked.
type Lock struct{ f *os.File }

// AcquireLock takes the exclusive lock on path, waiting while another process holds it. holder says
// who that would be (for the messages). It reports the wait on progress every 15 s and gives up when
// ctx ends.
func AcquireLock(ctx context.Context, path, holder string, progress io.Writer) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create lock directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if progress == nil {
		progress = io.Discard
	}
	start := time.Now()
	lastNote := start
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &Lock{f: f}, nil
		}
		if err != syscall.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if time.Since(lastNote) >= 15*time.Second {
			fmt.Fprintf(progress, "waiting for %s to finish (lock %s, %s so far)\n", holder, path, time.Since(start).Round(time.Second))
			lastNote = time.Now()
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for the lock %s: %w (%s holds it; retry when it finishes)", path, ctx.Err(), holder)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Release gives the lock up.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	defer func() { l.f = nil }()
	if err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN); err != nil {
		l.f.Close()
		return fmt.Errorf("unlock %s: %w", l.f.Name(), err)
	}
	return l.f.Close()
}
