// Package motoserver starts a private moto server on a free 127.0.0.1 port for the stack engine's
// integration tests and benchmarks, and gives them the S3 operations they need to act "behind the
// engine's back" (hold a state lock, edit a state object).
//
// The tests use their own moto rather than the shared sandbox because they create and break state on
// purpose (held locks, edited state); a private server keeps that away from anyone using the sandbox.
package motoserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Region is the region every test bucket lives in.
const Region = "ap-southeast-2"

// Server is a running moto server.
type Server struct {
	// URL is http://127.0.0.1:<port>.
	URL  string
	cmd  *exec.Cmd
	logs *bytes.Buffer
	S3   *s3.Client
}

// Start launches moto_server (or `python3 -m moto.server`) and waits up to 60s for it to answer.
func Start(ctx context.Context) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	var cmd *exec.Cmd
	if path, err := exec.LookPath("moto_server"); err == nil {
		cmd = exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	} else if py, err := exec.LookPath("python3"); err == nil {
		cmd = exec.Command(py, "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	} else {
		return nil, errors.New("moto: neither moto_server nor python3 found; install moto (python3 -c 'import moto' must work)")
	}
	logs := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true", "PYTHONUNBUFFERED=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("moto: start: %w", err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, logs: logs}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.Stop()
			return nil, fmt.Errorf("moto: not answering on %s after 60s: %v\n%s", s.URL, err, logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.S3 = s3.New(s3.Options{Region: Region, BaseEndpoint: aws.String(s.URL), UsePathStyle: true,
		Credentials: staticCreds{}})
	return s, nil
}

// Stop terminates the server and waits for it.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// Env is what terraform needs to reach this server (credentials are moto's dummies).
func (s *Server) Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=" + Region, "AWS_DEFAULT_REGION=" + Region}
}

// BackendHCL is a backend.hcl for bucket on this server, with S3-native locking.
func (s *Server) BackendHCL(bucket string) string {
	return fmt.Sprintf(`bucket                      = %q
region                      = %q
endpoints                   = { s3 = %q }
use_path_style              = true
skip_credentials_validation = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
skip_region_validation      = true
use_lockfile                = true
`, bucket, Region, s.URL)
}

// CreateBucket makes a state bucket.
func (s *Server) CreateBucket(ctx context.Context, bucket string) error {
	_, err := s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(Region)}})
	if err != nil {
		return fmt.Errorf("moto: create bucket %s: %w", bucket, err)
	}
	return nil
}

// Get reads an object.
func (s *Server) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	out, err := s.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("moto: get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// Put writes an object.
func (s *Server) Put(ctx context.Context, bucket, key string, body []byte) error {
	_, err := s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		return fmt.Errorf("moto: put s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// Delete removes an object.
func (s *Server) Delete(ctx context.Context, bucket, key string) error {
	_, err := s.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("moto: delete s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

type staticCreds struct{}

func (staticCreds) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "motoserver"}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
