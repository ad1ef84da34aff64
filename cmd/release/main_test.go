package main

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/platformteam/delivery/internal/fake/awsapi"
	ecsscenario "github.com/platformteam/delivery/internal/fake/ecs/scenario"
	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/release/api"
)

const taskDef = `{"family": "demo-app", "containerDefinitions": [{"name": "app", "image": "127.0.0.1:5000/demo-app@sha256:1111111111111111111111111111111111111111111111111111111111111111"}]}`

// cliRoot writes a repository root with one environment pointing at the given AWS endpoint, and an
// artifact of an image published there as publish does: pushed to an in-process registry, signed and
// attested with the environment's key, which its trust policy names (docs/supply-chain.md).
func cliRoot(t *testing.T, awsEndpoint string) (string, string) {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "environments", "test")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	reg := startRegistry(t)
	img := pushImage(t, reg, "demo-app", "abc1234")
	key := attestImage(t, img, "abc1234")
	trust := trustKey(t, root, "test", key)
	os.WriteFile(filepath.Join(dir, "backend.hcl"), []byte("bucket = \"x\"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "delivery.yaml"), []byte(`
account_id: "123456789012"
region: ap-southeast-2
image: {repository: demo-app}
ecs: {cluster: demo, service: demo-app, container: app, timeout: 1m}
eks: {cluster: demo, namespace: demo, release: demo-app, chart: charts/demo-app}
endpoints: {aws: "`+awsEndpoint+`", registry: "`+reg+`"}
`+trust), 0o644)
	art := filepath.Join(root, "artifact.json")
	pinned, err := artifact.ParsePinned(img.String())
	if err != nil {
		t.Fatal(err)
	}
	commit, _ := artifact.ParseCommit("abc1234")
	a, err := artifact.New(commit, pinned, time.Now())
	if err == nil {
		err = artifact.Write(art, a)
	}
	if err != nil {
		t.Fatal(err)
	}
	return root, art
}

func TestExitCodesOfECSDeploy(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "")
	cases := []struct {
		name   string
		script ecsscenario.Script
		extra  []string
		want   int
	}{
		{"completes", ecsscenario.Completes(1, 300*time.Millisecond), nil, exitOK},
		{"breaker, restored", ecsscenario.BreakerTrips(1, 1500*time.Millisecond), nil, exitRolledBack},
		{"breaker, --no-rollback", ecsscenario.BreakerTrips(1, 1500*time.Millisecond), []string{"--no-rollback"}, exitNotRolledBack},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := ecsscenario.New(nil)
			defer srv.Close()
			if _, err := srv.Seed("demo", "demo-app", 1, taskDef); err != nil {
				t.Fatal(err)
			}
			srv.Queue(tc.script)
			// The account guard asks STS first; the scenario server speaks ECS only.
			front := httptest.NewServer(&awsapi.Front{Users: sandboxUsers, Next: proxyTo(t, srv.URL)})
			defer front.Close()
			root, art := cliRoot(t, front.URL)
			args := append([]string{"ecs", "deploy", "--env", "test", "--root", root, "--artifact", art, "--json"}, tc.extra...)
			if got := run(context.Background(), args); got != tc.want {
				t.Fatalf("exit code %d, want %d", got, tc.want)
			}
		})
	}
}

func TestExitCodesOfBadInput(t *testing.T) {
	root, art := cliRoot(t, "http://127.0.0.1:1")
	cases := map[string]struct {
		args []string
		want int
	}{
		"unknown command":  {[]string{"ecs", "launch"}, exitUsage},
		"missing env":      {[]string{"ecs", "diff"}, exitUsage},
		"bad flag":         {[]string{"ecs", "diff", "--env", "test", "--bogus"}, exitUsage},
		"missing artifact": {[]string{"ecs", "diff", "--env", "test", "--root", root, "--artifact", filepath.Join(root, "nope.json")}, exitFailed},
		"unknown env":      {[]string{"ecs", "diff", "--env", "prod", "--root", root, "--artifact", art}, exitFailed},
		"show artifact":    {[]string{"artifact", "show", "--artifact", art}, exitOK},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := run(context.Background(), tc.args); got != tc.want {
				t.Fatalf("exit code %d, want %d", got, tc.want)
			}
		})
	}
}

// proxyTo forwards requests to the server at raw.
func proxyTo(t *testing.T, raw string) *httputil.ReverseProxy {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return httputil.NewSingleHostReverseProxy(u)
}

// sandboxUsers are the keys a test process signs with against a local endpoint (awsconfig's sandbox
// default, or the keys of the sandbox's environment file).
var sandboxUsers = map[string]awsapi.Identity{
	"sandbox": {Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/sandbox"},
	"test":    {Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/test"},
}

// runOut runs the CLI in-process and returns its exit code and what it printed on stdout.
func runOut(t *testing.T, args ...string) (int, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() { b, _ := io.ReadAll(r); done <- string(b) }()
	code := run(context.Background(), args)
	w.Close()
	os.Stdout = stdout
	return code, <-done
}

// startRegistry is an in-process plain-HTTP registry.
func startRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func writeLayout(t *testing.T) (string, string) {
	t.Helper()
	img, _ := random.Image(256, 1)
	dir := filepath.Join(t.TempDir(), "oci")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return dir, d.String()
}

// A job carries the environment resolved by the caller (overrides included): the engine reads no
// delivery.yaml, and the job is decoded strictly.
func TestJobCarriesTheResolvedEnvironment(t *testing.T) {
	reg := startRegistry(t)
	env := &environment.Environment{Name: "staging", AccountID: "222222222222", Region: "eu-west-1",
		Image: environment.Image{Repository: "demo-app"}, Endpoints: environment.Endpoints{AWS: "http://127.0.0.1:1", Registry: reg},
		ECS: environment.ECS{Cluster: "c", Service: "s"}, EKS: environment.EKS{Cluster: "c", Namespace: "n", Release: "r", Chart: "chart"}}
	env.Terraform.Binary, env.Terraform.Parallelism = "terraform", 1
	raw, err := json.Marshal(api.Job{Environment: env})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir() // no environments/ at all: everything comes from the job
	job := filepath.Join(root, "job.json")
	os.WriteFile(job, raw, 0o600)
	source, digest := writeLayout(t)
	code, out := runOut(t, "image", "push", "--job", job, "--root", root, "--source", source, "--commit", "abc1234", "--no-artifact", "--json")
	if code != exitOK {
		t.Fatalf("push with a job: exit %d", code)
	}
	pub, err := api.Decode[api.Publication]([]byte(out))
	if err != nil || pub.Artifact.Ref() != reg+"/demo-app@"+digest || pub.Existed {
		t.Fatalf("publication %+v %v\n%s", pub, err, out)
	}
	// Again: the tag holds the same digest, nothing is pushed.
	code, out = runOut(t, "image", "push", "--job", job, "--root", root, "--source", source, "--commit", "abc1234", "--no-artifact", "--json")
	if pub, err = api.Decode[api.Publication]([]byte(out)); code != exitOK || err != nil || !pub.Existed {
		t.Fatalf("a second push of the same commit is a no-op: %d %+v %v", code, pub, err)
	}
	// Another build of the same commit is refused: tags are immutable.
	other, _ := writeLayout(t)
	if code, _ := runOut(t, "image", "push", "--job", job, "--root", root, "--source", other, "--commit", "abc1234", "--no-artifact", "--json"); code != exitFailed {
		t.Fatalf("another digest under the same tag: exit %d", code)
	}
	// image find: published and unpublished commits.
	code, out = runOut(t, "image", "find", "--job", job, "--root", root, "--commit", "abc1234", "--json")
	found, err := api.Decode[api.Found]([]byte(out))
	if code != exitOK || err != nil || found.Artifact == nil || found.Artifact.Digest() != digest {
		t.Fatalf("find: %d %+v %v", code, found, err)
	}
	code, out = runOut(t, "image", "find", "--job", job, "--root", root, "--commit", "def5678", "--json")
	if found, err = api.Decode[api.Found]([]byte(out)); code != exitOK || err != nil || found.Artifact != nil {
		t.Fatalf("find an unpublished commit: %d %+v %v", code, found, err)
	}
	// A job with an unknown field is refused before anything runs.
	os.WriteFile(job, []byte(strings.Replace(string(raw), `"account_id"`, `"acount":1,"account_id"`, 1)), 0o600)
	if code, _ := runOut(t, "image", "find", "--job", job, "--root", root, "--commit", "abc1234"); code != exitFailed {
		t.Fatalf("a job with an unknown field: exit %d", code)
	}
	if code, _ := runOut(t, "image", "find", "--job", job, "--env", "staging"); code != exitUsage {
		t.Fatalf("--job and --env together: exit %d", code)
	}
}

// image promote copies by digest into the environment's repository and writes the promoted artifact;
// a deploy of the unpromoted artifact is refused.
func TestPromoteThenDeployRefusesForeignImages(t *testing.T) {
	src, dst := startRegistry(t), startRegistry(t)
	source, digest := writeLayout(t)
	root, _ := cliRoot(t, "http://127.0.0.1:1")
	// The image as another environment published it.
	srcRoot := t.TempDir()
	os.MkdirAll(filepath.Join(srcRoot, "environments", "src"), 0o755)
	os.WriteFile(filepath.Join(srcRoot, "environments", "src", "backend.hcl"), []byte("bucket = \"x\"\n"), 0o644)
	os.WriteFile(filepath.Join(srcRoot, "environments", "src", "delivery.yaml"), []byte(`
account_id: "123456789012"
region: ap-southeast-2
image: {repository: team/demo-app}
ecs: {cluster: demo, service: demo-app}
eks: {cluster: demo, namespace: demo, release: demo-app, chart: charts/demo-app}
endpoints: {aws: "http://127.0.0.1:1", registry: "`+src+`"}
`), 0o644)
	staging := filepath.Join(srcRoot, "artifact.json")
	if code, _ := runOut(t, "image", "push", "--env", "src", "--root", srcRoot, "--source", source, "--commit", "abc1234", "--artifact", staging); code != exitOK {
		t.Fatalf("push to the source registry: exit %d", code)
	}
	// The source environment signed and attested it; the target environment trusts that key.
	srcImage, _ := name.NewDigest(src + "/team/demo-app@" + digest)
	os.WriteFile(filepath.Join(root, "environments", "test", "delivery.yaml"), []byte(`
account_id: "123456789012"
region: ap-southeast-2
image: {repository: demo-app}
ecs: {cluster: demo, service: demo-app, container: app, timeout: 1m}
eks: {cluster: demo, namespace: demo, release: demo-app, chart: charts/demo-app}
endpoints: {aws: "http://127.0.0.1:1", registry: "`+dst+`"}
`+trustKey(t, root, "src", attestImage(t, srcImage, "abc1234"))), 0o644)
	if code, _ := runOut(t, "ecs", "diff", "--env", "test", "--root", root, "--artifact", staging); code != exitFailed {
		t.Fatalf("an image of another registry must be refused before any call: exit %d", code)
	}
	promoted := filepath.Join(root, "promoted.json")
	code, out := runOut(t, "image", "promote", "--env", "test", "--root", root, "--artifact", staging, "--out", promoted, "--json")
	pub, err := api.Decode[api.Publication]([]byte(out))
	if code != exitOK || err != nil || pub.Artifact.Ref() != dst+"/demo-app@"+digest || pub.PromotedFrom.Repository() != src+"/team/demo-app" {
		t.Fatalf("promote: %d %+v %v", code, pub, err)
	}
	a, err := artifact.Read(promoted)
	if err != nil || a.Ref() != pub.Artifact.Ref() || a.Tag() != "abc1234" {
		t.Fatalf("promoted artifact.json: %+v %v", a, err)
	}
	code, out = runOut(t, "image", "promote", "--env", "test", "--root", root, "--artifact", staging, "--out", promoted, "--json")
	if pub, err = api.Decode[api.Publication]([]byte(out)); code != exitOK || err != nil || !pub.Existed {
		t.Fatalf("promoting again is a no-op: %d %+v %v", code, pub, err)
	}
}
