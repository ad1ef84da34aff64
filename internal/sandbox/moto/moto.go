// Package moto is the one owner of starting moto, the AWS API stand-in: the command line and
// settings every moto the project runs gets, its readiness check, and private servers on a free
// 127.0.0.1 port for tests that break state on purpose (the stack engine's held locks and edited
// state), which must not touch the shared sandbox. Every moto is supervised by package proc.
package moto

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
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/platformteam/delivery/internal/sandbox/proc"
)

// RunningTasks is what the sandbox's moto reports as every ECS service's running count
// (MOTO_ECS_SERVICE_RUNNING, see RunningTasksEnv); the seeded service wants exactly this many tasks, so
// it reads as steady.
const RunningTasks = 2

// RunningTasksEnv is the environment setting that makes moto report RunningTasks.
func RunningTasksEnv() string { return "MOTO_ECS_SERVICE_RUNNING=" + strconv.Itoa(RunningTasks) }

// Command is moto's server on proc.Host:port, run by python (python3 with moto[server]), with env added
// before the settings every moto gets: AWS managed IAM policies loaded, unbuffered logs.
func Command(python string, port int, env ...string) *exec.Cmd {
	return command([]string{python, "-m", "moto.server"}, port, env)
}

func command(server []string, port int, env []string) *exec.Cmd {
	cmd := exec.Command(server[0], append(server[1:], "-H", proc.Host, "-p", strconv.Itoa(port))...)
	cmd.Env = append(append(os.Environ(), env...), "MOTO_IAM_LOAD_MANAGED_POLICIES=true", "PYTHONUNBUFFERED=1")
	return cmd
}

// Ready is moto's readiness check: its management API answers at url.
func Ready(url string) func(context.Context) error {
	return proc.HTTPCheck(http.DefaultClient, url+"/moto-api/", nil, http.StatusOK, "")
}

// InstalledVersion reads moto's version from the package metadata (fast: moto is not imported), for
// status; "unknown" when python3 or moto is missing.
func InstalledVersion() string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "python3", "-c", "import importlib.metadata as m; print(m.version('moto'))").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// Region is the region every private server's buckets live in.
const Region = "ap-southeast-2"

// Server is a private moto server.
type Server struct {
	// URL is http://127.0.0.1:<port>.
	URL     string
	S3      *s3.Client
	process proc.Process
	dir     string // its pid file and log
}

// Start launches a private moto on a free port and waits up to 60 s for it to answer. Stop it with Stop.
func Start(ctx context.Context) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	command, err := privateCommand(port)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "moto-")
	if err != nil {
		return nil, fmt.Errorf("moto: %w", err)
	}
	url := fmt.Sprintf("http://%s:%d", proc.Host, port)
	s := &Server{URL: url, dir: dir, process: proc.Process{
		Name: "moto", Version: "private", Ports: []int{port}, Files: proc.FilesIn(dir, dir, "moto"),
		Command: command, Ready: Ready(url), ReadyTimeout: 60 * time.Second,
		StopPolicy: proc.StopPolicy{Grace: 10 * time.Second},
	}}
	if _, err := s.process.Ensure(ctx, io.Discard); err != nil {
		log := proc.Tail(s.process.Files.Log, 20)
		s.Stop()
		return nil, fmt.Errorf("moto: %w\n%s", err, log)
	}
	s.S3 = s3.New(s3.Options{Region: Region, BaseEndpoint: aws.String(s.URL), UsePathStyle: true,
		Credentials: staticCreds{}})
	return s, nil
}

// privateCommand runs moto_server (moto's console script) when it is on PATH, else python3 -m moto.server.
func privateCommand(port int) (func() (*exec.Cmd, error), error) {
	if path, err := exec.LookPath("moto_server"); err == nil {
		return func() (*exec.Cmd, error) { return command([]string{path}, port, nil), nil }, nil
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		return nil, errors.New("moto: neither moto_server nor python3 found; install moto (python3 -c 'import moto' must work)")
	}
	return func() (*exec.Cmd, error) { return Command(python, port), nil }, nil
}

// Stop terminates the server, waits until it is gone and removes its files.
func (s *Server) Stop() {
	_ = s.process.Stop(io.Discard)
	_ = os.RemoveAll(s.dir)
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
	l, err := net.Listen("tcp", net.JoinHostPort(proc.Host, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
