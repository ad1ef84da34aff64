package sandbox

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

// TerraformBinary is the terraform (or OpenTofu) executable the sandbox hands to the stack engine.
type TerraformBinary struct {
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

// backendWarning explains when a terraform can run but cannot read the local backend.hcl.
func backendWarning(tf TerraformBinary) string {
	v, err := version.NewVersion(tf.Version)
	if err != nil || !v.LessThan(version.Must(version.NewVersion(BackendTerraformVersion))) {
		return ""
	}
	return fmt.Sprintf("warning: %s %s is older than %s: it cannot read environments/local/backend.hcl (endpoints block, use_lockfile); "+
		"put terraform >= %s or tofu >= %s on PATH for the stack engine", tf.Flavor, tf.Version, BackendTerraformVersion, BackendTerraformVersion, BackendTerraformVersion)
}

// findTerraform returns a usable terraform/tofu from PATH, or builds terraform
// TerraformFallbackVersion into the cache.
func findTerraform(ctx context.Context, l Layout, progress io.Writer) (TerraformBinary, error) {
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
		return TerraformBinary{Path: c.Path, Flavor: c.Flavor, Version: c.Version}, nil
	}
	_, _, rejected := chooseTerraform(candidates, MinTerraformVersion)
	reason := "no terraform or tofu on PATH"
	if len(rejected) > 0 {
		reason = fmt.Sprintf("no usable terraform on PATH (%v)", rejected)
	}
	fmt.Fprintf(progress, "%s: building terraform %s instead\n", reason, TerraformFallbackVersion)
	tool := terraformFallbackTool()
	path, err := tool.ensure(ctx, l, progress)
	if err != nil {
		return TerraformBinary{}, fmt.Errorf("%s, and building terraform %s failed: %w (or install terraform >= %s / tofu on PATH)",
			reason, TerraformFallbackVersion, err, MinTerraformVersion)
	}
	c := probeTerraform(ctx, path, "terraform")
	if c.Err != nil {
		return TerraformBinary{}, fmt.Errorf("built terraform at %s does not run: %w (delete %s and retry)", path, c.Err, filepath.Dir(path))
	}
	return TerraformBinary{Path: path, Flavor: "terraform", Version: c.Version, Built: true}, nil
}

func terraformFallbackTool() goTool {
	return goTool{
		name: "terraform", version: TerraformFallbackVersion, binary: "terraform", timeout: 30 * time.Minute,
		why: "the stack engine's terraform", expect: "about 3-5 min",
		pkg: "github.com/hashicorp/terraform@" + TerraformFallbackVersion, ldflags: "-s -w",
	}
}
