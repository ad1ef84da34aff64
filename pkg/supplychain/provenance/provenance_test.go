package provenance_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/platformteam/delivery/pkg/supplychain/provenance"
)

var goDigest = "sha256:" + strings.Repeat("1", 64)

func build() provenance.Build {
	start := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	return provenance.Build{
		Commit: "0123456789abcdef0123456789abcdef01234567", Source: "git+https://github.com/platformteam/delivery",
		Environment: "staging", Context: "app", Dockerfile: "Dockerfile",
		BuildArgs: map[string]string{"BUILD_VERSION": "0123456", "GO_IMAGE": "127.0.0.1:5000/base/golang:1.26@" + goDigest, "RUNTIME_IMAGE": "scratch"},
		BaseImages: []provenance.BaseImage{
			{Role: "runtime", Ref: "scratch"},
			{Role: "go", Ref: "127.0.0.1:5000/base/golang:1.26", Digest: goDigest},
		},
		GoVersion: "go1.26.0", DaggerEngine: "v0.19.10", DaggerModule: "delivery", InvocationID: "run-1",
		StartedOn: start, FinishedOn: start.Add(20 * time.Second),
	}
}

func TestPredicateIsSLSAv1WithTheBuildsInputs(t *testing.T) {
	p, err := provenance.New(build())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	// The SLSA v1 field names.
	for _, want := range []string{`"buildDefinition":{"buildType":"` + provenance.BuildType + `"`, `"externalParameters":{"environment":"staging"`,
		`"resolvedDependencies":[{"uri":"git+https://github.com/platformteam/delivery@0123456789abcdef0123456789abcdef01234567","digest":{"gitCommit":"0123456789abcdef0123456789abcdef01234567"},"name":"source"}`,
		`{"uri":"127.0.0.1:5000/base/golang:1.26","digest":{"sha256":"` + strings.Repeat("1", 64) + `"},"name":"base-image:go"}`,
		`{"uri":"scratch","name":"base-image:runtime"}`, `{"uri":"pkg:golang/toolchain@go1.26.0","name":"go-toolchain"}`,
		`"runDetails":{"builder":{"id":"` + provenance.BuilderID + `","version":{"dagger-engine":"v0.19.10","dagger-module":"delivery"}}`,
		`"metadata":{"invocationId":"run-1","startedOn":"2026-11-30T08:00:00Z","finishedOn":"2026-11-30T08:00:20Z"}`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("predicate lacks %s\n%s", want, raw)
		}
	}
	back, err := provenance.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if back.Commit() != build().Commit || back.GoVersion() != "go1.26.0" || back.RunDetails.Builder.ID != provenance.BuilderID {
		t.Fatalf("read back: commit %s go %s builder %s", back.Commit(), back.GoVersion(), back.RunDetails.Builder.ID)
	}
	bases := back.BaseImages()
	if len(bases) != 2 || bases[0].Role != "go" || bases[0].Digest != goDigest || bases[1].Ref != "scratch" || bases[1].Digest != "" {
		t.Fatalf("base images: %+v", bases)
	}
}

func TestBuildValidation(t *testing.T) {
	cases := map[string]func(b *provenance.Build){
		"commit":          func(b *provenance.Build) { b.Commit = "main" },
		"unpinned base":   func(b *provenance.Build) { b.BaseImages[1].Digest = "" },
		"no base":         func(b *provenance.Build) { b.BaseImages = nil },
		"go version":      func(b *provenance.Build) { b.GoVersion = "1.26" },
		"engine":          func(b *provenance.Build) { b.DaggerEngine = "" },
		"finished before": func(b *provenance.Build) { b.FinishedOn = b.StartedOn.Add(-time.Second) },
	}
	for name, mutate := range cases {
		b := build()
		mutate(&b)
		if _, err := provenance.New(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := provenance.Parse([]byte(`{"buildDefinition":{}}`)); err == nil {
		t.Error("Parse accepted a predicate without build type and builder")
	}
}

func TestSameCommit(t *testing.T) {
	full := "0123456789abcdef0123456789abcdef01234567"
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{full, full, true}, {"0123456", full, true}, {full, "0123456", true}, {"0123456", "0123456", true},
		{"0123457", full, false}, {"012345", full, false}, {"", "", false}, {"zzzzzzz", "zzzzzzz", false}, {"0123456", "0123456789ABCDEF", true},
	} {
		if got := provenance.SameCommit(c.a, c.b); got != c.want {
			t.Errorf("SameCommit(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

func TestPin(t *testing.T) {
	d := "sha256:" + strings.Repeat("a", 64)
	other := "sha256:" + strings.Repeat("b", 64)
	b, err := provenance.Pin("go", "127.0.0.1:5000/base/golang:1.26", "127.0.0.1:5000/base/golang:1.26@"+d)
	if err != nil || b.Ref != "127.0.0.1:5000/base/golang:1.26" || b.Digest != d || b.Reference() != "127.0.0.1:5000/base/golang:1.26@"+d {
		t.Fatalf("tag resolved: %+v %v", b, err)
	}
	b, err = provenance.Pin("go", "127.0.0.1:5000/base/golang:1.26@"+d, "127.0.0.1:5000/base/golang:1.26@"+d)
	if err != nil || b.Reference() != "127.0.0.1:5000/base/golang:1.26@"+d {
		t.Fatalf("digest kept: %+v %v", b, err)
	}
	if _, err := provenance.Pin("go", "127.0.0.1:5000/base/golang@"+d, "127.0.0.1:5000/base/golang@"+other); err == nil || !strings.Contains(err.Error(), "is pinned to") {
		t.Fatalf("a pinned digest the registry no longer serves: %v", err)
	}
	if _, err := provenance.Pin("go", "127.0.0.1:5000/base/golang:1.26", "127.0.0.1:5000/base/golang:1.26"); err == nil {
		t.Fatal("a resolution without digest was accepted")
	}
	if b, err := provenance.Pin("runtime", "scratch", ""); err != nil || b.Reference() != "scratch" || b.Digest != "" {
		t.Fatalf("scratch: %+v %v", b, err)
	}
}
