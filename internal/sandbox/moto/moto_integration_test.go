//go:build integration

package moto

import (
	"context"
	"os"
	"testing"
	"time"
)

// A private moto answers S3 on its own port and is gone, files and all, after Stop.
func TestPrivateServerStartsAndStops(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec, running := s.process.Running()
	if !running {
		s.Stop()
		t.Fatal("started server is not running")
	}
	if err := s.CreateBucket(ctx, "private-moto-test"); err != nil {
		s.Stop()
		t.Fatal(err)
	}
	if err := s.Put(ctx, "private-moto-test", "k", []byte("v")); err != nil {
		s.Stop()
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "private-moto-test", "k"); err != nil || string(got) != "v" {
		s.Stop()
		t.Fatalf("get = %q, %v", got, err)
	}
	s.Stop()
	if rec.Alive() {
		t.Fatalf("moto (pid %d) still running after Stop", rec.PID)
	}
	if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
		t.Fatalf("its files are left in %s: %v", s.dir, err)
	}
}
