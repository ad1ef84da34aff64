package sandbox

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/platformteam/delivery/internal/atomicfile"
)

// Keys of the env file that clients rely on (the sandbox contract).
const (
	EnvAWSEndpoint    = "AWS_ENDPOINT_URL"
	EnvAWSAccessKey   = "AWS_ACCESS_KEY_ID"
	EnvAWSSecretKey   = "AWS_SECRET_ACCESS_KEY"
	EnvAWSRegion      = "AWS_REGION"
	EnvAWSDefRegion   = "AWS_DEFAULT_REGION"
	EnvRegistry       = "SANDBOX_REGISTRY"
	EnvKubeconfig     = "KUBECONFIG"
	EnvTerraform      = "SANDBOX_TERRAFORM"
	EnvTerraformImage = "SANDBOX_TERRAFORM_IMAGE"
	EnvAccountID      = "SANDBOX_ACCOUNT_ID"
	EnvStateDir       = "SANDBOX_DIR"
	EnvDaggerHost     = "_EXPERIMENTAL_DAGGER_RUNNER_HOST"
	EnvDaggerCLI      = "SANDBOX_DAGGER"
)

var envKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// EnvFile is the set of variables a client needs to use the sandbox, written as sourceable
// KEY=value lines (values single-quoted when they contain anything but safe characters).
type EnvFile map[string]string

// Render writes the variables sorted by key, one per line.
func (e EnvFile) Render() ([]byte, error) {
	keys := make([]string, 0, len(e))
	for k := range e {
		if !envKeyRE.MatchString(k) {
			return nil, fmt.Errorf("env file key %q is not a valid shell variable name", k)
		}
		if strings.ContainsAny(e[k], "\n\r\x00") {
			return nil, fmt.Errorf("env file value of %s contains a line break or NUL", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString("# Written by `go run ./cmd/sandbox up`; source it with: set -a; . ./.sandbox/env; set +a\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, shellQuote(e[k]))
	}
	return b.Bytes(), nil
}

var safeValueRE = regexp.MustCompile(`^[A-Za-z0-9_./:@%+,=-]*$`)

func shellQuote(v string) string {
	if safeValueRE.MatchString(v) {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// ParseEnvFile reads KEY=value lines as Render writes them (comments and blank lines are ignored).
func ParseEnvFile(data []byte) (EnvFile, error) {
	env := EnvFile{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, raw, ok := strings.Cut(line, "=")
		if !ok || !envKeyRE.MatchString(key) {
			return nil, fmt.Errorf("env file line %d: want KEY=value, got %q", n, line)
		}
		value, err := shellUnquote(raw)
		if err != nil {
			return nil, fmt.Errorf("env file line %d (%s): %w", n, key, err)
		}
		env[key] = value
	}
	return env, sc.Err()
}

func shellUnquote(raw string) (string, error) {
	if !strings.HasPrefix(raw, "'") {
		if !safeValueRE.MatchString(raw) {
			return "", fmt.Errorf("unquoted value %q has shell special characters", raw)
		}
		return raw, nil
	}
	var b strings.Builder
	rest := raw
	for rest != "" {
		if !strings.HasPrefix(rest, "'") {
			if strings.HasPrefix(rest, `\'`) {
				b.WriteByte('\'')
				rest = rest[2:]
				continue
			}
			return "", fmt.Errorf("malformed quoting in %q", raw)
		}
		end := strings.IndexByte(rest[1:], '\'')
		if end < 0 {
			return "", fmt.Errorf("unterminated quote in %q", raw)
		}
		b.WriteString(rest[1 : 1+end])
		rest = rest[end+2:]
	}
	return b.String(), nil
}

// ReadEnvFile loads the env file at path.
func ReadEnvFile(path string) (EnvFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read sandbox env file %s: %w (bring the sandbox up with: go run ./cmd/sandbox up)", path, err)
	}
	return ParseEnvFile(data)
}

// Write stores the env file atomically (write to a temporary file, then rename), so a reader never
// sees half a file.
func (e EnvFile) Write(path string) error {
	data, err := e.Render()
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o644)
}

// AWSConfig is an aws-sdk-go-v2 configuration for the sandbox's AWS endpoint with the env file's
// static credentials. S3 clients also need UsePathStyle.
func (e EnvFile) AWSConfig() aws.Config {
	return aws.Config{
		Region:       e[EnvAWSRegion],
		Credentials:  credentials.NewStaticCredentialsProvider(e[EnvAWSAccessKey], e[EnvAWSSecretKey], ""),
		BaseEndpoint: aws.String(e[EnvAWSEndpoint]),
	}
}

// Environ returns the variables as KEY=value strings for exec.Cmd.Env, sorted.
func (e EnvFile) Environ() []string {
	out := make([]string, 0, len(e))
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// ExportLines are the variables as `export KEY='value'` lines for eval in a shell, sorted by key.
func (e EnvFile) ExportLines() []string {
	lines := make([]string, 0, len(e))
	for _, kv := range e.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		lines = append(lines, "export "+k+"="+shellQuote(v))
	}
	return lines
}
