package proc

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockIsExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "lock")
	first, err := AcquireLock(context.Background(), path, "another test", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	var progress bytes.Buffer
	if second, err := AcquireLock(ctx, path, "another test", &progress); err == nil {
		second.Release()
		t.Fatal("a second holder got the lock while the first held it")
	} else if !strings.Contains(err.Error(), "another") {
		t.Errorf("error does not explain the wait: %v", err)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	second, err := AcquireLock(context.Background(), path, "another test", nil)
	if err != nil {
		t.Fatalf("lock not available after release: %v", err)
	}
	second.Release()
}
