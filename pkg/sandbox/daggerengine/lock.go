package daggerengine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockState takes an exclusive lock on the state dir so two Up/Down calls (a sandbox command and a
// test, say) never start or stop the engine at the same time. The returned func releases it.
func lockState(ctx context.Context, p progress, l paths) (func(), error) {
	if err := os.MkdirAll(l.stateDir, 0o755); err != nil {
		return nil, fmt.Errorf("create state dir %s: %w", l.stateDir, err)
	}
	path := filepath.Join(l.stateDir, "engine.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open engine lock %s: %w", path, err)
	}
	announced := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if err != syscall.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !announced {
			p.linef("waiting for another start/stop of this engine to finish (lock %s)", path)
			announced = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for the engine lock %s: %w", path, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}
