package daggerengine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// An engine home (see engineHome) holds the engine's BuildKit state: gigabytes once a few pipelines
// have run. It lives outside the checkout, so deleting a checkout (a CI clone, a removed worktree)
// without `sandbox down` leaves its home behind. Each home records the state dir that owns it; Up
// removes the homes whose owner is gone.

const ownerFileName = "owner"

func (l paths) ownerFile() string { return filepath.Join(l.engineDir, ownerFileName) }

// claimHome records the state dir that owns this engine home.
func claimHome(l paths) error {
	if err := os.MkdirAll(l.engineDir, 0o755); err != nil {
		return fmt.Errorf("dagger engine: create %s: %w", l.engineDir, err)
	}
	if err := os.WriteFile(l.ownerFile(), []byte(l.stateDir+"\n"), 0o644); err != nil {
		return fmt.Errorf("dagger engine: record the owner of %s: %w", l.engineDir, err)
	}
	return nil
}

// orphanHomes lists the homes next to self whose recorded owner no longer exists. A home without an
// owner file (made before owners were recorded) is never listed: nothing says whose it is.
func orphanHomes(self string) ([]string, error) {
	base := filepath.Dir(self)
	entries, err := os.ReadDir(base)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, e := range entries {
		dir := filepath.Join(base, e.Name())
		if !e.IsDir() || dir == self {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, ownerFileName))
		if err != nil {
			continue
		}
		owner := strings.TrimSpace(string(b))
		if owner == "" {
			continue
		}
		if _, err := os.Stat(owner); errors.Is(err, os.ErrNotExist) {
			out = append(out, dir)
		}
	}
	return out, nil
}

// pruneOrphanHomes removes the orphaned homes next to this one. It only reports what it cannot
// remove: a leftover home costs disk, not correctness.
func pruneOrphanHomes(p progress, l paths) {
	if os.Getenv(EngineDirEnv) != "" {
		return // a home placed by hand: its neighbours are not ours to judge
	}
	orphans, err := orphanHomes(l.engineDir)
	if err != nil {
		p.linef("warning: cannot list old engine homes next to %s: %v", l.engineDir, err)
		return
	}
	for _, dir := range orphans {
		if err := unmountUnder(dir); err == nil {
			err = os.RemoveAll(dir)
		}
		if err != nil {
			p.linef("warning: cannot remove the engine home %s of a deleted sandbox: %v (remove it by hand)", dir, err)
			continue
		}
		p.linef("removed the engine home %s: the sandbox that owned it is gone", dir)
	}
}
