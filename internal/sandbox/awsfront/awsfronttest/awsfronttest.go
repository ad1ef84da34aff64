// Package awsfronttest runs a private AWS twin for tests that need no shared sandbox: moto on a free
// loopback port (bootstrapped), the AWS front in process, an in-memory registry
// backend and an OIDC issuer key. One twin is shared by the tests of a package (moto takes seconds to
// start); tests use their own names.
package awsfronttest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/platformteam/delivery/internal/sandbox/awsfront"
	"github.com/platformteam/delivery/internal/sandbox/awsfront/credentials"
	"github.com/platformteam/delivery/internal/sandbox/awsseed"
	"github.com/platformteam/delivery/internal/sandbox/oidc"
)

// Region of the twin accounts.
const Region = "ap-southeast-2"

// The accounts of the private twin, and the registry address each one's proxyEndpoint names.
const (
	Staging    = "222222222222"
	Production = "333333333333"
)

// Twin is a running private twin.
type Twin struct {
	Front *awsfront.Front
	// URL is the AWS endpoint.
	URL    string
	Admins map[string]credentials.Credential
	Issuer *oidc.Issuer
	// RegistryBackend is the in-memory registry every account's images are stored in (host:port).
	RegistryBackend string
}

var (
	shared     *Twin
	sharedErr  error
	sharedOnce sync.Once
	moto       *exec.Cmd
	dir        string
)

// Get returns the package's twin, starting it the first time. It fails the test, naming moto, when
// moto cannot be started.
func Get(t testing.TB) *Twin {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = start() })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

// Stop ends moto and removes the twin's files (call it from TestMain after m.Run).
func Stop() {
	if moto != nil {
		_ = moto.Process.Kill()
		_ = moto.Wait()
	}
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
}

func startMoto() (string, error) {
	if err := exec.Command("python3", "-c", "import moto.server").Run(); err != nil {
		return "", fmt.Errorf("moto (python3 -m moto.server) is required by these tests and is missing: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true", "MOTO_ECS_SERVICE_RUNNING=2")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start moto: %v", err)
	}
	moto = cmd
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return url, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("moto did not answer on %s within 2 minutes: %v\n%s", url, err, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func start() (*Twin, error) {
	accounts := []string{Staging, Production}
	motoURL, err := startMoto()
	if err != nil {
		return nil, err
	}
	admins, err := awsseed.Bootstrap(context.Background(), motoURL, Region, accounts)
	if err != nil {
		return nil, err
	}
	if dir, err = os.MkdirTemp("", "awsfronttest-"); err != nil {
		return nil, err
	}
	backend := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	cfg := awsfront.Config{Listen: ln.Addr().String(), Backend: motoURL, Region: Region, StateDir: filepath.Join(dir, "front"),
		RegistryBackend: backend.URL, OIDC: awsfront.OIDC{KeyFile: filepath.Join(dir, "oidc", "key.pem")}}
	for i, a := range accounts {
		reg := fmt.Sprintf("127.0.0.1:%d", 5002+i)
		cfg.Accounts = append(cfg.Accounts, awsfront.Account{ID: a, Region: Region, Admin: admins[a], Registry: reg, RegistryEndpoint: "http://" + reg})
	}
	f, err := awsfront.New(cfg)
	if err != nil {
		return nil, err
	}
	f.SetLogger(log.New(io.Discard, "", 0))
	srv := httptest.NewUnstartedServer(f)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	iss, err := oidc.LoadOrCreate(cfg.OIDC.KeyFile)
	if err != nil {
		return nil, err
	}
	return &Twin{Front: f, URL: srv.URL, Admins: admins, Issuer: iss, RegistryBackend: backend.Listener.Addr().String()}, nil
}

// Config is an SDK configuration for the twin with c's keys (no retries: tests see every answer).
func (tw *Twin) Config(c credentials.Credential) aws.Config {
	return aws.Config{Region: Region, BaseEndpoint: aws.String(tw.URL), RetryMaxAttempts: 1,
		Credentials: awscreds.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)}
}

// Admin is the SDK configuration of an account's admin.
func (tw *Twin) Admin(account string) aws.Config { return tw.Config(tw.Admins[account]) }

// Anonymous is an SDK configuration without credentials (AssumeRoleWithWebIdentity).
func (tw *Twin) Anonymous() aws.Config {
	cfg := tw.Config(credentials.Credential{})
	cfg.Credentials = aws.AnonymousCredentials{}
	return cfg
}

// Token mints a GitHub-shaped token for job.
func (tw *Twin) Token(t testing.TB, job oidc.Job) string {
	t.Helper()
	tok, err := tw.Issuer.Mint(job.Claims(oidc.STSAudience), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
