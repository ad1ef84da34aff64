package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/platformteam/delivery/internal/fake/awsapi"
	ecsscenario "github.com/platformteam/delivery/internal/fake/ecs/scenario"
	fakekms "github.com/platformteam/delivery/internal/fake/kms"
	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/release/api"
	"github.com/platformteam/delivery/pkg/supplychain"
	"github.com/platformteam/delivery/pkg/supplychain/provenance"
	"github.com/platformteam/delivery/pkg/supplychain/sbom"
	"github.com/platformteam/delivery/pkg/supplychain/signing"
)

// pushImage pushes a random image to <reg>/<repo>:<tag> and returns it by digest.
func pushImage(t *testing.T, reg, repo, tag string) name.Digest {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(reg + "/" + repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return ref.Context().Digest(d.String())
}

// testKMS is a signing key of the test environments, in an in-memory KMS.
func testKMS(t *testing.T, account string) *fakekms.KMS {
	t.Helper()
	k := fakekms.New(account, "ap-southeast-2")
	k.CreateSigningKey("alias/demo-app-test-signing")
	return k
}

// attestImage signs and attests an image as publish does (a random image has no Go binary, so the
// build record names the Go version), with a new key; it returns the key's public half.
func attestImage(t *testing.T, img name.Digest, commit string) signing.PublicKey {
	t.Helper()
	return attestWith(t, testKMS(t, "123456789012"), img, commit)
}

func attestWith(t *testing.T, k *fakekms.KMS, img name.Digest, commit string) signing.PublicKey {
	t.Helper()
	return attestFrom(t, k, img, img, commit)
}

// attestFrom attests img with the content of from (the same digest, in another repository: a test
// image deployed under a name that makes the platform fail to pull it).
func attestFrom(t *testing.T, k *fakekms.KMS, img, from name.Digest, commit string) signing.PublicKey {
	t.Helper()
	ctx := context.Background()
	s, err := signing.NewKMSSigner(ctx, k, "alias/demo-app-test-signing")
	if err != nil {
		t.Fatal(err)
	}
	a := &supplychain.Attester{Signer: s, Tool: sbom.Tool{Name: "test"},
		Fetch: func(ctx context.Context, _ name.Digest) (v1.Image, error) {
			return remote.Image(from, remote.WithContext(ctx))
		}}
	start := time.Now()
	if _, err := a.Attest(ctx, supplychain.Request{Image: img.String(), Build: provenance.Build{
		Commit: commit, Environment: "test", Context: "app", Dockerfile: "Dockerfile", GoVersion: "go1.26.0",
		BaseImages:   []provenance.BaseImage{{Role: "runtime", Ref: "scratch"}},
		DaggerEngine: "v0.19.10", DaggerModule: "delivery", StartedOn: start, FinishedOn: start,
	}}); err != nil {
		t.Fatal(err)
	}
	return s.PublicKey()
}

// trustKey commits a public key into the repository at root and returns the delivery.yaml lines of a
// trust policy naming it.
func trustKey(t *testing.T, root, name string, key signing.PublicKey) string {
	t.Helper()
	pem, err := key.PEM()
	if err != nil {
		t.Fatal(err)
	}
	rel := filepath.Join("keys", name+".pub")
	if err := os.MkdirAll(filepath.Join(root, "keys"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, rel), pem, 0o644); err != nil {
		t.Fatal(err)
	}
	return "signing: {key: alias/demo-app-test-signing, trust: [{public_key: " + filepath.ToSlash(rel) + "}]}\n"
}

func writeEnv(t *testing.T, root, env, body string) {
	t.Helper()
	dir := filepath.Join(root, "environments", env)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "backend.hcl"), []byte("bucket = \"x\"\n"), 0o644)
	if err := os.WriteFile(filepath.Join(dir, "delivery.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustContain(t *testing.T, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Fatalf("output lacks %q:\n%s", p, s)
		}
	}
}

// The deploy gate refuses an image nobody signed, and an artifact whose commit is not the one its
// provenance names, before the ECS deploy makes a single call.
func TestECSDeployIsRefusedByTheGateBeforeAnyCall(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "")
	srv := ecsscenario.New(nil)
	defer srv.Close()
	if _, err := srv.Seed("demo", "demo-app", 1, taskDef); err != nil {
		t.Fatal(err)
	}
	aws := &awsapi.Front{Users: sandboxUsers, Next: proxyTo(t, srv.URL)}
	front := httptest.NewServer(aws)
	defer front.Close()
	root, signed := cliRoot(t, front.URL)
	a, err := artifact.Read(signed)
	if err != nil {
		t.Fatal(err)
	}
	commit, _ := artifact.ParseCommit("abc1234")

	// A hand-pushed image in the same repository: no signature, no attestations.
	unsigned := pushImage(t, a.Image.Registry(), "demo-app", "hand")
	pinned, _ := artifact.ParsePinned(unsigned.String())
	byHand, _ := artifact.New(commit, pinned, time.Now())
	handFile := filepath.Join(root, "hand.json")
	if err := artifact.Write(handFile, byHand); err != nil {
		t.Fatal(err)
	}
	// The signed image, but an artifact naming another commit.
	other, _ := artifact.ParseCommit("def5678")
	wrong, _ := artifact.New(other, a.Image, time.Now())
	wrongFile := filepath.Join(root, "wrong-commit.json")
	if err := artifact.Write(wrongFile, wrong); err != nil {
		t.Fatal(err)
	}

	for file, want := range map[string][]string{
		handFile:  {"deploy gate of test refused", "signature: unsigned: " + a.Image.Registry() + "/demo-app:sha256-", "provenance: no attestations", "nothing was changed"},
		wrongFile: {"deploy gate of test refused", `provenance: mismatched commit`, `the artifact says "def5678"`},
	} {
		stderr := captureStderr(t, func() {
			if code := run(context.Background(), []string{"ecs", "deploy", "--env", "test", "--root", root, "--artifact", file, "--json"}); code != exitFailed {
				t.Errorf("%s: exit %d, want %d", filepath.Base(file), code, exitFailed)
			}
		})
		mustContain(t, stderr, want...)
	}
	for _, op := range []string{"DescribeServices", "RegisterTaskDefinition", "UpdateService", "DescribeTaskDefinition"} {
		if n := srv.Calls(op); n != 0 {
			t.Fatalf("ECS %s was called %d times by refused deploys", op, n)
		}
	}
	for _, c := range aws.Calls() {
		if strings.HasPrefix(c.Action, "ecs:") {
			t.Fatalf("a refused deploy called %s", c.Action)
		}
	}
	// The signed artifact passes the gate and deploys.
	srv.Queue(ecsscenario.Completes(1, 300*time.Millisecond))
	if code := run(context.Background(), []string{"ecs", "deploy", "--env", "test", "--root", root, "--artifact", signed, "--json"}); code != exitOK || srv.Calls("UpdateService") != 1 {
		t.Fatalf("the signed artifact: exit %d, %d UpdateService calls", code, srv.Calls("UpdateService"))
	}
}

// Promotion checks the source with the target's trust policy before copying anything, then carries the
// signatures and attestations along byte for byte.
func TestPromoteCarriesTheEvidenceAndTheTargetJudgesIt(t *testing.T) {
	src, dst, refusing := startRegistry(t), startRegistry(t), startRegistry(t)
	srcImage := pushImage(t, src, "team/demo-app", "abc1234")
	stagingKMS := testKMS(t, "222222222222")
	key := attestWith(t, stagingKMS, srcImage, "abc1234")
	pinned, _ := artifact.ParsePinned(srcImage.String())
	commit, _ := artifact.ParseCommit("abc1234")
	staging, _ := artifact.New(commit, pinned, time.Now())
	root := t.TempDir()
	stagingFile := filepath.Join(root, "staging.json")
	if err := artifact.Write(stagingFile, staging); err != nil {
		t.Fatal(err)
	}
	env := func(reg, trust string) string {
		return `
account_id: "123456789012"
region: ap-southeast-2
image: {repository: demo-app}
ecs: {cluster: demo, service: demo-app}
eks: {cluster: demo, namespace: demo, release: demo-app, chart: charts/demo-app}
endpoints: {aws: "http://127.0.0.1:1", registry: "` + reg + `"}
` + trust
	}
	writeEnv(t, root, "production", env(dst, trustKey(t, root, "staging", key)))
	writeEnv(t, root, "isolated", env(refusing, trustKey(t, root, "own", attestImage(t, pushImage(t, refusing, "x", "y"), "abc1234"))))

	out := filepath.Join(root, "promoted.json")
	if code, stdout := runOut(t, "image", "promote", "--env", "production", "--root", root, "--artifact", stagingFile, "--out", out, "--json"); code != exitOK {
		t.Fatalf("promote into production: exit %d\n%s", code, stdout)
	}
	for _, kind := range []string{"sig", "att"} {
		tag := strings.Replace(srcImage.DigestStr(), ":", "-", 1) + "." + kind
		from, err := remote.Head(srcImage.Context().Tag(tag))
		if err != nil {
			t.Fatal(err)
		}
		to, err := remote.Head(mustTag(t, dst+"/demo-app:"+tag))
		if err != nil || to.Digest != from.Digest {
			t.Fatalf("%s was not copied byte for byte: %v %v", tag, to, err)
		}
	}
	// Production's gate verifies the copy again (its own trust policy, its own registry).
	promoted, err := artifact.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	stderr := captureStderr(t, func() {
		if code := run(context.Background(), []string{"gate", "--env", "production", "--root", root, "--artifact", out, "--json"}); code != exitOK {
			t.Errorf("production's gate refused the promoted copy %s (exit %d)", promoted.Ref(), code)
		}
	})
	mustContain(t, stderr, "signed and attested")

	// An environment that does not trust staging's key refuses, and nothing is copied.
	stderr = captureStderr(t, func() {
		if code := run(context.Background(), []string{"image", "promote", "--env", "isolated", "--root", root, "--artifact", stagingFile, "--out", filepath.Join(root, "x.json")}); code != exitFailed {
			t.Errorf("promote into an environment that does not trust staging: exit %d", code)
		}
	})
	mustContain(t, stderr, "deploy gate of isolated refused", "signature: foreign")
	if _, err := remote.Head(mustTag(t, refusing+"/demo-app:abc1234")); err == nil {
		t.Fatal("a refused promotion copied the image")
	}
}

// image push --build signs and attests with the environment's KMS key before the tag is written, and a
// re-run of the same commit signs nothing again.
func TestImagePushWithABuildRecordSignsAndAttests(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "")
	k := testKMS(t, "123456789012")
	front := httptest.NewServer(&awsapi.Front{Users: sandboxUsers, Next: k})
	defer front.Close()
	reg := startRegistry(t)
	root := t.TempDir()
	writeEnv(t, root, "test", `
account_id: "123456789012"
region: ap-southeast-2
image: {repository: demo-app}
ecs: {cluster: demo, service: demo-app}
eks: {cluster: demo, namespace: demo, release: demo-app, chart: charts/demo-app}
endpoints: {aws: "`+front.URL+`", registry: "`+reg+`"}
signing: {key: alias/demo-app-test-signing}
`)
	source, digest := writeLayout(t)
	start := time.Now().UTC()
	build := provenance.Build{Commit: "abc1234abc1234abc1234abc1234abc1234abc1", Environment: "test", Context: "app", Dockerfile: "Dockerfile",
		GoVersion: "go1.26.0", BaseImages: []provenance.BaseImage{{Role: "runtime", Ref: "scratch"}},
		DaggerEngine: "v0.19.10", DaggerModule: "delivery", StartedOn: start, FinishedOn: start}
	raw, _ := json.Marshal(build)
	buildFile := filepath.Join(root, "build.json")
	os.WriteFile(buildFile, raw, 0o644)
	args := []string{"image", "push", "--env", "test", "--root", root, "--source", source, "--commit", build.Commit, "--build", buildFile, "--no-artifact", "--json"}

	code, out := runOut(t, args...)
	pub, err := api.Decode[api.Publication]([]byte(out))
	if code != exitOK || err != nil || pub.Attestation == nil || !pub.Attestation.Changed() || pub.Artifact.Digest() != digest {
		t.Fatalf("push with a build record: exit %d %+v %v", code, pub, err)
	}
	if k.Calls["Sign"] != 3 {
		t.Fatalf("KMS Sign calls: %d, want 3 (image, provenance, SBOM)", k.Calls["Sign"])
	}
	// The default trust policy (the environment's own key, through KMS) accepts what was pushed.
	art := filepath.Join(root, "artifact.json")
	if err := artifact.Write(art, pub.Artifact); err != nil {
		t.Fatal(err)
	}
	if code := run(context.Background(), []string{"gate", "--env", "test", "--root", root, "--artifact", art}); code != exitOK {
		t.Fatalf("the gate refused what publish signed: exit %d", code)
	}
	// Again: the tag and the evidence exist; nothing is signed or written.
	code, out = runOut(t, args...)
	if pub, err = api.Decode[api.Publication]([]byte(out)); code != exitOK || err != nil || !pub.Existed || pub.Attestation == nil || pub.Attestation.Changed() {
		t.Fatalf("re-run: exit %d %+v %v", code, pub, err)
	}
	if k.Calls["Sign"] != 3 {
		t.Fatalf("the re-run signed again (%d Sign calls)", k.Calls["Sign"])
	}
}

func mustTag(t *testing.T, ref string) name.Tag {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

// captureStderr runs fn and returns what it wrote to stderr.
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() { b, _ := io.ReadAll(r); done <- string(b) }()
	fn()
	w.Close()
	os.Stderr = saved
	return <-done
}
