package daggerengine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestOrphanHomesAreTheOnesWhoseOwnerIsGone(t *testing.T) {
	base := t.TempDir()
	live := t.TempDir() // a state dir that still exists
	home := func(name, owner string) string {
		dir := filepath.Join(base, name)
		if err := os.MkdirAll(filepath.Join(dir, "lib"), 0o755); err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if err := os.WriteFile(filepath.Join(dir, ownerFileName), []byte(owner+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	self := home("self", filepath.Join(base, "gone-too")) // never listed, even with its owner gone
	home("kept", live)
	home("legacy", "") // no owner file: nothing says whose it is
	orphan := home("orphan", filepath.Join(base, "deleted-clone", ".sandbox", "dagger"))

	got, err := orphanHomes(self)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{orphan}; !reflect.DeepEqual(got, want) {
		t.Fatalf("orphanHomes = %v, want %v", got, want)
	}
}

func TestClaimHomeRecordsTheStateDir(t *testing.T) {
	l := paths{stateDir: "/work/x/.sandbox/dagger", engineDir: filepath.Join(t.TempDir(), "h")}
	if err := claimHome(l); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(l.ownerFile())
	if err != nil || string(b) != l.stateDir+"\n" {
		t.Fatalf("owner file = %q, %v", b, err)
	}
}

func TestEngineJSONBoundsTheCache(t *testing.T) {
	var cfg struct {
		GC map[string]string `json:"gc"`
	}
	if err := json.Unmarshal([]byte(engineJSON), &cfg); err != nil {
		t.Fatalf("engine.json does not parse: %v", err)
	}
	for _, k := range []string{"reservedSpace", "maxUsedSpace", "minFreeSpace", "sweepSize"} {
		if cfg.GC[k] == "" {
			t.Errorf("engine.json gc lacks %s: %s", k, engineJSON)
		}
	}
}
