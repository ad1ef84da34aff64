package artifact

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func sample() *Artifact {
	return &Artifact{
		CommitSHA:    "abc1234",
		Image:        "127.0.0.1:5000/demo-app",
		Digest:       digest,
		BuildVersion: "abc1234",
		Created:      time.Date(2026, 11, 25, 21, 0, 0, 0, time.UTC),
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out", "artifact.json")
	if err := Write(path, sample()); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *sample() {
		t.Fatalf("round trip changed the artifact:\n got %+v\nwant %+v", got, sample())
	}
	if got.Ref() != "127.0.0.1:5000/demo-app@"+digest || got.Tag() != "abc1234" {
		t.Fatalf("ref %q tag %q", got.Ref(), got.Tag())
	}
	raw, _ := os.ReadFile(path)
	if !strings.Contains(string(raw), `"commit_sha": "abc1234"`) || !strings.Contains(string(raw), `"created": "2026-11-25T21:00:00Z"`) {
		t.Fatalf("unexpected JSON shape:\n%s", raw)
	}
}

func TestReadMissingFileSaysWhatToDo(t *testing.T) {
	_, err := Read(filepath.Join(t.TempDir(), "artifact.json"))
	if err == nil || !strings.Contains(err.Error(), "not found") || !strings.Contains(err.Error(), "--artifact") {
		t.Fatalf("want not-found error with a hint, got %v", err)
	}
}

func TestParseRejectsBadDocuments(t *testing.T) {
	good := `{"commit_sha":"abc1234","image":"127.0.0.1:5000/demo-app","digest":"` + digest + `","build_version":"abc1234","created":"2026-11-25T21:00:00Z"}`
	cases := map[string]struct{ doc, want string }{
		"empty":          {"  ", "empty"},
		"not json":       {"{", "malformed"},
		"trailing":       {good + "{}", "trailing"},
		"unknown field":  {strings.Replace(good, `"image"`, `"colour":"x","image"`, 1), "unknown field"},
		"long sha":       {strings.Replace(good, `"commit_sha":"abc1234"`, `"commit_sha":"abc1234567"`, 1), "commit_sha"},
		"upper sha":      {strings.Replace(good, `"commit_sha":"abc1234"`, `"commit_sha":"ABC1234"`, 1), "commit_sha"},
		"short digest":   {strings.Replace(good, digest, "sha256:abc", 1), "digest"},
		"tagged image":   {strings.Replace(good, `demo-app"`, `demo-app@`+digest+`"`, 1), "must not carry"},
		"bad image":      {strings.Replace(good, `demo-app"`, `Demo App"`, 1), "not a repository reference"},
		"missing image":  {strings.Replace(good, `"image":"127.0.0.1:5000/demo-app",`, ``, 1), "image is required"},
		"missing time":   {strings.Replace(good, `,"created":"2026-11-25T21:00:00Z"`, ``, 1), "created is required"},
		"bad version":    {strings.Replace(good, `"build_version":"abc1234"`, `"build_version":"a b"`, 1), "build_version"},
		"wrong type sha": {strings.Replace(good, `"commit_sha":"abc1234"`, `"commit_sha":1234567`, 1), "malformed"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
		})
	}
	if _, err := Parse([]byte(good)); err != nil {
		t.Fatalf("good document rejected: %v", err)
	}
}

func TestValidateReportsAllProblemsAtOnce(t *testing.T) {
	err := (&Artifact{}).Validate()
	for _, field := range []string{"commit_sha", "image", "digest", "build_version", "created"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Fatalf("want %s in %v", field, err)
		}
	}
}

func TestWriteRefusesInvalidArtifact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "artifact.json")
	a := sample()
	a.Digest = "latest"
	if err := Write(path, a); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("want refusal, got %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("invalid artifact must not be written, stat: %v", err)
	}
}
