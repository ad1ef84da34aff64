package main

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/release"
	"github.com/platformteam/delivery/pkg/release/api"
)

// RegistryEnv is the environment variable equivalent of --registry.
const RegistryEnv = "RELEASE_REGISTRY"

// common holds the flags every command shares.
type common struct {
	fs           *flag.FlagSet
	env          string
	root         string
	jobPath      string
	json         bool
	artifactPath string
	twinPath     string
	conn         release.Connection
	timeout      time.Duration
	// lock is how a deploy takes its service's or release's deploy lock (withLock).
	lock        release.LockOptions
	lockTimeout time.Duration
	// envOptional is set by commands that do not need an environment.
	envOptional bool

	job *api.Job
}

func newFlags(name string) *common {
	c := &common{fs: flag.NewFlagSet("release "+name, flag.ContinueOnError)}
	c.fs.SetOutput(os.Stderr)
	c.fs.StringVar(&c.env, "env", "", "environment name (environments/<env>/delivery.yaml); or --job")
	c.fs.StringVar(&c.root, "root", ".", "repository root")
	c.fs.StringVar(&c.jobPath, "job", "", "job.json from the Dagger module: the resolved environment (and artifact) instead of --env")
	c.fs.BoolVar(&c.json, "json", false, "print the result as JSON on stdout (shapes in docs/release-engine.md)")
	c.fs.StringVar(&c.artifactPath, "artifact", "", "path of artifact.json (default: the job's artifact, else "+artifact.DefaultPath+")")
	c.fs.StringVar(&c.conn.AWSEndpoint, "aws-endpoint", "", "AWS base endpoint (default: AWS_ENDPOINT_URL, then endpoints.aws)")
	c.fs.StringVar(&c.conn.Registry, "registry", "", "reach the image registry at this host:port instead (an alias of the same registry; env "+RegistryEnv+")")
	c.fs.StringVar(&c.twinPath, "twin", "", "run against the sandbox twin of the environment's account: its declaration (.sandbox/twin-endpoints/<env>.json, written by `sandbox up`)")
	return c
}

func (c *common) withKubeconfig() *common {
	c.fs.StringVar(&c.conn.Kubeconfig, "kubeconfig", "", "kubeconfig to use instead of eks:DescribeCluster (default: endpoints.kubeconfig, then KUBECONFIG for local environments)")
	return c
}

// withLock adds the deploy lock's flags: how long to wait for another deploy, and who this one is.
func (c *common) withLock() *common {
	c.fs.DurationVar(&c.lockTimeout, "lock-timeout", release.DefaultLockWait, "wait this long for another deploy of the same service or release (0: refuse at once)")
	c.fs.StringVar(&c.lock.Who, "lock-owner", "", "who this deploy is, as the lock names it (default: the CI run, else user@host)")
	return c
}

func (c *common) withTimeout(help string) *common {
	c.fs.DurationVar(&c.timeout, "timeout", 0, help)
	return c
}

func (c *common) parse(args []string) error {
	if err := c.fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return withCode(api.ExitUsage, err)
	}
	if c.fs.NArg() > 0 {
		return usageError("unexpected arguments: %s", strings.Join(c.fs.Args(), " "))
	}
	if c.env != "" && c.jobPath != "" {
		return usageError("pass --env or --job, not both")
	}
	if c.env == "" && c.jobPath == "" && !c.envOptional {
		return usageError("--env is required")
	}
	if c.conn.Registry == "" {
		c.conn.Registry = os.Getenv(RegistryEnv)
	}
	if c.jobPath != "" {
		j, err := api.ReadJob(c.jobPath)
		if err != nil {
			return err
		}
		c.job = &j
		c.conn.Twin, c.conn.Dial = j.Twin, j.Dial
	}
	if c.twinPath != "" && c.job != nil && c.job.Twin != nil {
		return usageError("the job declares the twin already: drop --twin")
	}
	return nil
}

// environment is the job's environment (resolved once by the caller), or delivery.yaml under --root.
func (c *common) environment() (*environment.Environment, error) {
	if c.job == nil {
		return environment.Load(c.root, c.env)
	}
	root, err := filepath.Abs(c.root)
	if err != nil {
		return nil, err
	}
	env := *c.job.Environment
	env.Root = root
	return &env, nil
}

// access is the environment plus how to reach it.
func (c *common) access() (*release.Access, error) {
	env, err := c.environment()
	if err != nil {
		return nil, err
	}
	if c.twinPath != "" {
		t, err := environment.ReadTwin(c.twinPath, env.Name)
		if err != nil {
			return nil, withCode(api.ExitUsage, err)
		}
		if err := t.Matches(env); err != nil {
			return nil, withCode(api.ExitUsage, err)
		}
		c.conn.Twin = t
	}
	acc := release.NewAccess(env, c.conn, os.Stderr)
	acc.Lock = c.lock
	if c.fs.Lookup("lock-timeout") != nil {
		acc.Lock.Wait = c.lockTimeout
		if c.lockTimeout <= 0 {
			acc.Lock.Wait = -1
		}
	}
	return acc, nil
}

// accessAndArtifact is the environment plus how to reach it, and the artifact to release there.
func (c *common) accessAndArtifact() (*release.Access, *artifact.Artifact, error) {
	acc, err := c.access()
	if err != nil {
		return nil, nil, err
	}
	a, err := c.readArtifact()
	if err != nil {
		return nil, nil, err
	}
	return acc, a, nil
}

// readArtifact is --artifact, else the job's artifact, else artifact.json.
func (c *common) readArtifact() (*artifact.Artifact, error) {
	if c.artifactPath == "" && c.job != nil && c.job.Artifact != nil {
		return c.job.Artifact, nil
	}
	return artifact.Read(c.artifactFile())
}

func (c *common) artifactFile() string {
	if c.artifactPath == "" {
		return artifact.DefaultPath
	}
	return c.artifactPath
}

// emit prints the result: JSON on stdout with --json, else the human lines.
func (c *common) emit(result any, human func(io.Writer)) error {
	if c.json {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(result)
	}
	human(os.Stdout)
	return nil
}

// failed maps a deploy's *api.FailedError to its exit code (3 restored, 4 not).
func failed(err error) error {
	var fe *api.FailedError
	if errors.As(err, &fe) {
		return withCode(fe.ExitCode(), err)
	}
	return err
}
