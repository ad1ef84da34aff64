package daggerengine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/platformteam/delivery/internal/sandbox/proc"
)

// lockState takes an exclusive lock on the state dir so two Up/Down calls (a sandbox command and a
// test, say) never start or stop the engine at the same time. The returned func releases it.
func lockState(ctx context.Context, p progress, l paths) (func(), error) {
	if err := os.MkdirAll(l.stateDir, 0o755); err != nil {
		return nil, fmt.Errorf("create state dir %s: %w", l.stateDir, err)
	}
	lock, err := proc.AcquireLock(ctx, filepath.Join(l.stateDir, "engine.lock"), "another start or stop of this engine", p)
	if err != nil {
		return nil, err
	}
	return func() { _ = lock.Release() }, nil
}
