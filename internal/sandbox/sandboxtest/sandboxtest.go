// Package sandboxtest gives integration tests the running local sandbox. Env(t) reuses the sandbox
// when it is up and otherwise brings it up in-process (under the sandbox's file lock, so parallel
// test packages never start anything twice). A component that cannot come up fails the test with
// its name; nothing is ever skipped.
//
// Tests share one sandbox and may run in parallel packages against it: give every resource a unique
// name (UniqueName) instead of resetting moto.
package sandboxtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/platformteam/delivery/internal/sandbox"
	"github.com/platformteam/delivery/internal/sandbox/proc"
)

// Sandbox is what a test needs to talk to the running sandbox.
type Sandbox struct {
	Layout sandbox.Layout
	Vars   sandbox.EnvFile // the env file's content

	AWSEndpoint string // http://127.0.0.1:4566
	Region      string
	AccountID   string
	AccessKey   string
	SecretKey   string
	Registry    string // host:port, plain HTTP
	Kubeconfig  string // absolute path, admin credentials
	Terraform   string // absolute path of terraform or tofu
}

// upTimeout bounds an in-process bring-up; a cold one builds Kubernetes (about 15 minutes).
const upTimeout = 60 * time.Minute

var (
	once      sync.Once
	shared    *Sandbox
	sharedErr error
)

// Env returns the running sandbox, bringing it up first when needed. It fails the test (never skips)
// naming the component that is missing.
func Env(t testing.TB) *Sandbox {
	t.Helper()
	once.Do(func() { shared, sharedErr = ensure() })
	if sharedErr != nil {
		t.Fatalf("sandbox: %v", sharedErr)
	}
	return shared
}

func ensure() (*Sandbox, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	layout, err := sandbox.DiscoverLayout(wd)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	defer cancel()
	opts := sandbox.Options{Layout: layout, Progress: os.Stderr}
	services := sandbox.Services(ctx, opts)
	vars, envErr := sandbox.ReadEnvFile(layout.EnvFile())
	if down := downList(services, envErr); down != "" {
		fmt.Fprintf(os.Stderr, "sandboxtest: sandbox not fully up (%s); bringing it up\n", down)
		// Up holds the sandbox lock: concurrent packages wait for one bring-up, then find it done.
		if vars, err = sandbox.Up(ctx, opts); err != nil {
			return nil, fmt.Errorf("bring up the sandbox (component failed): %w", err)
		}
	}
	s := fromVars(layout, vars)
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

func downList(services []proc.Status, envErr error) string {
	var down []string
	for _, c := range services {
		if !c.Up {
			down = append(down, c.Name+": "+c.Detail)
		}
	}
	if envErr != nil {
		down = append(down, "env file missing")
	}
	return strings.Join(down, "; ")
}

func fromVars(l sandbox.Layout, v sandbox.EnvFile) *Sandbox {
	return &Sandbox{
		Layout:      l,
		Vars:        v,
		AWSEndpoint: v[sandbox.EnvAWSEndpoint],
		Region:      v[sandbox.EnvAWSRegion],
		AccountID:   v[sandbox.EnvAccountID],
		AccessKey:   v[sandbox.EnvAWSAccessKey],
		SecretKey:   v[sandbox.EnvAWSSecretKey],
		Registry:    v[sandbox.EnvRegistry],
		Kubeconfig:  v[sandbox.EnvKubeconfig],
		Terraform:   v[sandbox.EnvTerraform],
	}
}

// check names the first contract value the env file lacks.
func (s *Sandbox) check() error {
	for key, value := range map[string]string{
		sandbox.EnvAWSEndpoint: s.AWSEndpoint, sandbox.EnvAWSRegion: s.Region, sandbox.EnvAccountID: s.AccountID,
		sandbox.EnvRegistry: s.Registry, sandbox.EnvKubeconfig: s.Kubeconfig, sandbox.EnvTerraform: s.Terraform,
	} {
		if value == "" {
			return fmt.Errorf("env file %s has no %s: run `go run ./cmd/sandbox up` again", s.Layout.EnvFile(), key)
		}
	}
	return nil
}

// AWSConfig is an aws-sdk-go-v2 configuration for moto. S3 clients also need UsePathStyle.
func (s *Sandbox) AWSConfig() aws.Config { return s.Vars.AWSConfig() }

// Environ is the process environment plus the sandbox's variables, for commands a test runs.
func (s *Sandbox) Environ() []string { return append(os.Environ(), s.Vars.Environ()...) }

// RESTConfig is the admin client configuration of the sandbox cluster.
func (s *Sandbox) RESTConfig(t testing.TB) *rest.Config {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	if err != nil {
		t.Fatalf("sandbox kubeconfig %s: %v", s.Kubeconfig, err)
	}
	return cfg
}

// Kube is an admin clientset for the sandbox cluster.
func (s *Sandbox) Kube(t testing.TB) kubernetes.Interface {
	t.Helper()
	client, err := kubernetes.NewForConfig(s.RESTConfig(t))
	if err != nil {
		t.Fatalf("kubernetes client: %v", err)
	}
	return client
}

var unsafeName = regexp.MustCompile(`[^a-z0-9-]+`)

// UniqueName is prefix plus a random suffix, lower-case and DNS-safe (fits S3 buckets, ECR
// repositories, Kubernetes namespaces and SSM paths), so parallel tests never collide.
func UniqueName(prefix string) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	p := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(prefix), "-"), "-")
	if len(p) > 40 {
		p = strings.TrimRight(p[:40], "-")
	}
	if p == "" {
		p = "test"
	}
	return p + "-" + hex.EncodeToString(b)
}
