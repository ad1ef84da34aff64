package artifact

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func sample(t *testing.T) *Artifact {
	t.Helper()
	c, err := ParseCommit("abc1234")
	if err != nil {
		t.Fatal(err)
	}
	img, err := NewPinned("127.0.0.1:5000/demo-app", digest)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(c, img, time.Date(2026, 11, 25, 21, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestWriteReadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out", "artifact.json")
	want := sample(t)
	if err := Write(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Image.Tagged() != want.Image.Tagged() || got.Commit != want.Commit || got.BuildVersion != want.BuildVersion || !got.Created.Equal(want.Created) {
		t.Fatalf("round trip changed the artifact:\n got %+v\nwant %+v", got, want)
	}
	if got.Ref() != "127.0.0.1:5000/demo-app@"+digest || got.Tag() != "abc1234" || got.Image.Tag() != "abc1234" {
		t.Fatalf("ref %q tag %q", got.Ref(), got.Tag())
	}
	raw, _ := os.ReadFile(path)
	for _, want := range []string{`"commit_sha": "abc1234"`, `"image": "127.0.0.1:5000/demo-app"`, `"digest": "` + digest + `"`, `"created": "2026-11-25T21:00:00Z"`} {
		if !strings.Contains(string(raw), want) {
			t.Fatalf("artifact.json keeps its shape: %s missing in\n%s", want, raw)
		}
	}
}

func TestEmbeddedArtifactIsStrictToo(t *testing.T) {
	var doc struct {
		Artifact *Artifact `json:"artifact"`
	}
	good, _ := json.Marshal(sample(t))
	if err := json.Unmarshal([]byte(`{"artifact":`+string(good)+`}`), &doc); err != nil || doc.Artifact.Digest() != digest {
		t.Fatalf("embedded artifact: %+v %v", doc.Artifact, err)
	}
	bad := strings.Replace(string(good), `"image"`, `"colour":"x","image"`, 1)
	if err := json.Unmarshal([]byte(`{"artifact":`+bad+`}`), &doc); err == nil || !strings.Contains(err.Error(), "unknown field") {
		t.Fatalf("an unknown field inside an embedded artifact must fail: %v", err)
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
		"upper digest":   {strings.Replace(good, digest, strings.ToUpper(digest), 1), "digest"},
		"sha512 digest":  {strings.Replace(good, digest, "sha512:"+strings.Repeat("a", 128), 1), "digest"},
		"tagged image":   {strings.Replace(good, `demo-app"`, `demo-app@`+digest+`"`, 1), "must not carry"},
		"bad image":      {strings.Replace(good, `demo-app"`, `Demo App"`, 1), "not a repository reference"},
		"no registry":    {strings.Replace(good, `127.0.0.1:5000/demo-app`, `demo-app`, 1), "names no registry host"},
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
	_, err := wire{}.validate()
	for _, field := range []string{"commit_sha", "image", "digest", "build_version", "created"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Fatalf("want %s in %v", field, err)
		}
	}
}

func TestWriteRefusesInvalidArtifact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "artifact.json")
	a := sample(t)
	a.BuildVersion = "not a version"
	if err := Write(path, a); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("want refusal, got %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("nothing may be written: %v", err)
	}
}

func TestPromotedKeepsTheBuild(t *testing.T) {
	a := sample(t)
	b, err := a.Promoted("333333333333.dkr.ecr.ap-southeast-2.amazonaws.com/demo-app")
	if err != nil {
		t.Fatal(err)
	}
	if b.Digest() != a.Digest() || b.Commit != a.Commit || b.Image.Tag() != "abc1234" || b.Image.Registry() != "333333333333.dkr.ecr.ap-southeast-2.amazonaws.com" {
		t.Fatalf("promoted: %+v", b)
	}
	if a.Image.Registry() != "127.0.0.1:5000" {
		t.Fatalf("the original must not change: %s", a.Ref())
	}
}
