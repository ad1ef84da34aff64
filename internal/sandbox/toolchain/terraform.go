package toolchain

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-version"
)

// Terraform versions. Change them here only.
const (
	// TerraformFallbackVersion is built from the Go proxy when no terraform or tofu >= MinTerraformVersion
	// is on PATH (the last MPL-licensed terraform release).
	TerraformFallbackVersion = "v1.5.7"
	// MinTerraformVersion is the oldest terraform/tofu the sandbox accepts from PATH.
	MinTerraformVersion = "1.5.0"
	// BackendTerraformVersion is the oldest terraform/tofu that reads environments/local/backend.hcl:
	// its endpoints block needs 1.6 and use_lockfile needs 1.10. Older ones get a warning from up.
	BackendTerraformVersion = "1.10.0"
)

// Terraform is the terraform (or OpenTofu) executable the sandbox hands to the stack engine.
type Terraform struct {
	Path    string // absolute
	Flavor  string // "terraform" or "tofu"
	Version string // e.g. "1.11.4"
	Built   bool   // built into the cache by the sandbox (not found on PATH)
}

// terraformCandidate is one executable found on PATH with the version it reports.
type terraformCandidate struct {
	Path    string
	Flavor  string
	Version string
	Err     error // why it could not be asked for its version
}

// chooseTerraform picks the first candidate (PATH order: terraform before tofu) whose version is at
// least min. It explains the rejected ones so the user knows why a build is needed.
func chooseTerraform(candidates []terraformCandidate, min string) (terraformCandidate, bool, []string) {
	minV := version.Must(version.NewVersion(min))
	var rejected []string
	for _, c := range candidates {
		if c.Err != nil {
			rejected = append(rejected, fmt.Sprintf("%s: %v", c.Path, c.Err))
			continue
		}
		v, err := version.NewVersion(c.Version)
		if err != nil {
			rejected = append(rejected, fmt.Sprintf("%s: unreadable version %q", c.Path, c.Version))
			continue
		}
		if v.LessThan(minV) {
			rejected = append(rejected, fmt.Sprintf("%s: version %s is older than %s", c.Path, c.Version, min))
			continue
		}
		return c, true, rejected
	}
	return terraformCandidate{}, false, rejected
}

// parseTerraformVersionJSON reads `terraform version -json` output (tofu prints the same key).
func parseTerraformVersionJSON(out []byte) (string, error) {
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil || v.Version == "" {
		return "", fmt.Errorf("`version -json` printed no terraform_version")
	}
	return v.Version, nil
}

// TerraformVersion asks the terraform (or tofu) at path for its version.
func TerraformVersion(ctx context.Context, path string) (string, error) {
	c := probeTerraform(ctx, path, filepath.Base(path))
	return c.Version, c.Err
}

func probeTerraform(ctx context.Context, path, flavor string) terraformCandidate {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "version", "-json").Output()
	c := terraformCandidate{Path: path, Flavor: flavor}
	if err != nil {
		c.Err = fmt.Errorf("`%s version -json` failed: %w", filepath.Base(path), err)
		return c
	}
	c.Version, c.Err = parseTerraformVersionJSON(out)
	return c
}

// BackendWarning explains when a terraform can run but cannot read the local backend.hcl.
func (tf Terraform) BackendWarning() string {
	v, err := version.NewVersion(tf.Version)
	if err != nil || !v.LessThan(version.Must(version.NewVersion(BackendTerraformVersion))) {
		return ""
	}
	return fmt.Sprintf("warning: %s %s is older than %s: it cannot read environments/local/backend.hcl (endpoints block, use_lockfile); "+
		"put terraform >= %s or tofu >= %s on PATH for the stack engine", tf.Flavor, tf.Version, BackendTerraformVersion, BackendTerraformVersion, BackendTerraformVersion)
}

// FindTerraform returns a usable terraform/tofu from PATH, or builds terraform
// TerraformFallbackVersion into the cache.
func FindTerraform(ctx context.Context, cacheDir string, progress io.Writer) (Terraform, error) {
	var candidates []terraformCandidate
	for _, flavor := range []string{"terraform", "tofu"} {
		if p, err := exec.LookPath(flavor); err == nil {
			if abs, err := filepath.Abs(p); err == nil {
				p = abs
			}
			candidates = append(candidates, probeTerraform(ctx, p, flavor))
		}
	}
	if c, ok, _ := chooseTerraform(candidates, MinTerraformVersion); ok {
		return Terraform{Path: c.Path, Flavor: c.Flavor, Version: c.Version}, nil
	}
	_, _, rejected := chooseTerraform(candidates, MinTerraformVersion)
	reason := "no terraform or tofu on PATH"
	if len(rejected) > 0 {
		reason = fmt.Sprintf("no usable terraform on PATH (%v)", rejected)
	}
	fmt.Fprintf(progress, "%s: building terraform %s instead\n", reason, TerraformFallbackVersion)
	tool := terraformFallbackTool()
	path, err := tool.Ensure(ctx, cacheDir, progress)
	if err != nil {
		return Terraform{}, fmt.Errorf("%s, and building terraform %s failed: %w (or install terraform >= %s / tofu on PATH)",
			reason, TerraformFallbackVersion, err, MinTerraformVersion)
	}
	c := probeTerraform(ctx, path, "terraform")
	if c.Err != nil {
		return Terraform{}, fmt.Errorf("built terraform at %s does not run: %w (delete %s and retry)", path, c.Err, filepath.Dir(path))
	}
	return Terraform{Path: path, Flavor: "terraform", Version: c.Version, Built: true}, nil
}

func terraformFallbackTool() GoTool {
	return GoTool{
		Name: "terraform", Version: TerraformFallbackVersion, Binary: "terraform", Timeout: 30 * time.Minute,
		Why: "the stack engine's terraform", Expect: "about 3-5 min",
		Pkg: "github.com/hashicorp/terraform@" + TerraformFallbackVersion, LDFlags: "-s -w",
	}
}
