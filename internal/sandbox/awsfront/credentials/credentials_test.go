package credentials

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRegistryPersistsAndDropsExpired(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials.jsonl")
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	user := Credential{AccessKeyID: "AKIA1", SecretAccessKey: "s1", Principal: "arn:aws:iam::222222222222:user/admin", Account: "222222222222"}
	short := Credential{AccessKeyID: "ASIA2", SecretAccessKey: "s2", SessionToken: "t", Principal: "arn:aws:sts::222222222222:assumed-role/r/s", Account: "222222222222", Expires: now.Add(time.Minute)}
	long := Credential{AccessKeyID: "ASIA3", SecretAccessKey: "s3", SessionToken: "t", Principal: "arn:aws:sts::333333333333:assumed-role/r/s", Account: "333333333333", Expires: now.Add(time.Hour)}
	for _, c := range []Credential{user, short, long} {
		if err := r.Add(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Add(Credential{AccessKeyID: "AKIA4"}); err == nil {
		t.Error("an incomplete credential was accepted")
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("registry file mode %v, want 0600 (it holds secrets)", info.Mode().Perm())
	}

	reopened, err := openAt(path, now.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := reopened.Lookup("AKIA1"); !ok || got != user {
		t.Errorf("user key after reopen: %+v %v", got, ok)
	}
	if _, ok := reopened.Lookup("ASIA2"); ok {
		t.Error("an expired session survived a reopen")
	}
	if got, ok := reopened.Lookup("ASIA3"); !ok || !got.Expires.Equal(long.Expires) {
		t.Errorf("live session after reopen: %+v %v", got, ok)
	}
	if !short.Expired(now.Add(time.Minute)) || short.Expired(now) || user.Expired(now.Add(1000*time.Hour)) {
		t.Error("Expired disagrees with the expiry")
	}
}

func openAt(path string, now time.Time) (*Registry, error) {
	r := New()
	r.SetClock(func() time.Time { return now })
	r.path = path
	return loadInto(r)
}
