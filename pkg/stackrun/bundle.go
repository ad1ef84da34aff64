package stackrun

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// A plan bundle is what `plan` hands to review and `apply` applies: a directory holding, per stack that
// would change, the binary plan and its `show -json`, and a manifest binding each plan to the commit,
// the input fingerprint, the state (lineage and serial) it was computed against and that of its
// upstreams, the terraform and provider versions, and the sha256 of each file. Apply applies exactly the
// plans of a bundle and never plans them again; it refuses a bundle that was altered, made at another
// commit or from other inputs, or whose state moved since.
const (
	// BundleManifest is the manifest file at the bundle's root.
	BundleManifest = "bundle.json"
	// BundleSummary is the plan summary (markdown) reviewers read.
	BundleSummary = "summary.md"
	// BundleFormat is the manifest format this engine writes and reads.
	BundleFormat = 1
	// bundleStacksDir holds stacks/<id>/plan.tfplan and plan.json inside a bundle.
	bundleStacksDir = "stacks"
)

// Bundle is bundle.json.
type Bundle struct {
	Format      int       `json:"format"`
	Environment string    `json:"environment"`
	Commit      string    `json:"commit"`
	Created     time.Time `json:"created"`
	// Production tells that applying this bundle needs an explicit approval.
	Production       bool   `json:"production"`
	Binary           string `json:"binary"`
	TerraformVersion string `json:"terraform_version,omitempty"`
	// Stacks are every stack planned, in dependency order, with or without changes.
	Stacks []BundleStack `json:"stacks"`
}

// BundleStack is one stack's plan in a bundle.
type BundleStack struct {
	Stack string `json:"stack"`
	// Status is "planned" (changes; Plan is set), "no changes", or "pending" (could not be planned before
	// Upstream is applied: a first deployment).
	Status string `json:"status"`
	// PendingOn is the upstream a pending stack waits for.
	PendingOn string `json:"pending_on,omitempty"`
	// Plan and PlanJSON are paths inside the bundle; their sha256 are checked before anything is applied.
	Plan           string `json:"plan,omitempty"`
	PlanSHA256     string `json:"plan_sha256,omitempty"`
	PlanJSON       string `json:"plan_json,omitempty"`
	PlanJSONSHA256 string `json:"plan_json_sha256,omitempty"`
	// Fingerprint is what the plan was computed from (files, inputs, backend, upstream outputs read).
	Fingerprint Fingerprint `json:"fingerprint"`
	// State is the stack's state the plan was computed against (serial 0, no lineage: none yet).
	State StateVersion `json:"state"`
	// Upstreams are the states of the stacks it reads, when it was planned.
	Upstreams map[string]StateVersion `json:"upstreams,omitempty"`
	// Providers are the provider versions the plan was made with (from the plan's dependency lock).
	Providers        map[string]string `json:"providers,omitempty"`
	TerraformVersion string            `json:"terraform_version,omitempty"`
	Add              int               `json:"add"`
	Change           int               `json:"change"`
	Destroy          int               `json:"destroy"`
	OutputChanges    int               `json:"output_changes"`
	Changes          []string          `json:"changes,omitempty"`
}

// StateVersion identifies one version of a state: terraform refuses a saved plan whose state moved.
type StateVersion struct {
	Lineage string `json:"lineage"`
	Serial  uint64 `json:"serial"`
}

func (s StateVersion) String() string {
	if s.Lineage == "" {
		return "no state yet"
	}
	return fmt.Sprintf("lineage %s serial %d", s.Lineage, s.Serial)
}

// Stack returns the bundle's entry for a stack.
func (b *Bundle) Stack(id string) (BundleStack, bool) {
	for _, s := range b.Stacks {
		if s.Stack == id {
			return s, true
		}
	}
	return BundleStack{}, false
}

// Bundle statuses.
const (
	BundlePlanned   = "planned"
	BundleNoChanges = "no changes"
	BundlePending   = "pending"
)

// TamperedBundleError means a file of a bundle does not match its manifest: nothing is applied.
type TamperedBundleError struct {
	Stack, File, Reason string
}

func (e *TamperedBundleError) Error() string {
	return fmt.Sprintf("plan bundle refused, nothing applied: %s of stack %s %s; plan again and review the new bundle", e.File, e.Stack, e.Reason)
}

// planFacts reads what a binary plan file says about itself: the state it was computed against (its
// prior state) and the provider versions of its dependency lock file.
func planFacts(plan []byte) (StateVersion, map[string]string, string, error) {
	var st struct {
		StateVersion
		TerraformVersion string `json:"terraform_version"`
	}
	zr, err := zip.NewReader(bytes.NewReader(plan), int64(len(plan)))
	if err != nil {
		return st.StateVersion, nil, "", fmt.Errorf("read the plan file (not a terraform plan?): %w", err)
	}
	providers := map[string]string{}
	for _, f := range zr.File {
		switch f.Name {
		case "tfstate":
			raw, err := readZipFile(f)
			if err != nil {
				return st.StateVersion, nil, "", err
			}
			if err := json.Unmarshal(raw, &st); err != nil {
				return st.StateVersion, nil, "", fmt.Errorf("read the plan's prior state: %w", err)
			}
		case ".terraform.lock.hcl":
			raw, err := readZipFile(f)
			if err != nil {
				return st.StateVersion, nil, "", err
			}
			f, diags := hclsyntax.ParseConfig(raw, ".terraform.lock.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				return st.StateVersion, nil, "", fmt.Errorf("read the plan's dependency lock: %s", diags.Error())
			}
			for _, blk := range f.Body.(*hclsyntax.Body).Blocks {
				if a, ok := blk.Body.Attributes["version"]; ok && blk.Type == "provider" && len(blk.Labels) == 1 {
					if v, diags := a.Expr.Value(nil); !diags.HasErrors() && v.Type() == cty.String {
						providers[blk.Labels[0]] = v.AsString()
					}
				}
			}
		}
	}
	return st.StateVersion, providers, st.TerraformVersion, nil
}

func readZipFile(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("read %s of the plan file: %w", f.Name, err)
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// writeBundle writes the bundle directory: plans (0600), manifest and summary. An existing bundle in dir
// is replaced as a whole, so a bundle never mixes two runs.
func writeBundle(dir string, b Bundle, files map[string][]byte, summary string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("replace the plan bundle %s: %w", dir, err)
	}
	for rel, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return fmt.Errorf("write the plan bundle: %w", err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return fmt.Errorf("write the plan bundle: %w", err)
		}
	}
	raw, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write the plan bundle: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, BundleManifest), append(raw, '\n'), 0o600); err != nil {
		return fmt.Errorf("write the plan bundle: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, BundleSummary), []byte(summary), 0o600)
}

// LoadBundle reads a bundle directory and checks that every plan file is the one its manifest names
// (sha256). Any mismatch refuses the whole bundle before anything is applied.
func LoadBundle(dir string) (*Bundle, map[string][]byte, error) {
	raw, err := os.ReadFile(filepath.Join(dir, BundleManifest))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("%s is not a plan bundle (no %s): pass the directory `plan` wrote or exported", dir, BundleManifest)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read the plan bundle: %w", err)
	}
	var b Bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, nil, fmt.Errorf("plan bundle %s: unreadable %s: %w", dir, BundleManifest, err)
	}
	if b.Format != BundleFormat {
		return nil, nil, fmt.Errorf("plan bundle %s has format %d; this engine reads format %d: plan again", dir, b.Format, BundleFormat)
	}
	plans := map[string][]byte{}
	for _, s := range b.Stacks {
		if s.Status != BundlePlanned {
			continue
		}
		for _, f := range []struct{ rel, sum string }{{s.Plan, s.PlanSHA256}, {s.PlanJSON, s.PlanJSONSHA256}} {
			clean := path.Clean(f.rel)
			if f.rel == "" || clean != path.Join(bundleStacksDir, s.Stack, path.Base(clean)) {
				return nil, nil, &TamperedBundleError{Stack: s.Stack, File: fmt.Sprintf("%q", f.rel), Reason: "is not a file of this stack in the bundle"}
			}
			data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(clean)))
			if err != nil {
				return nil, nil, &TamperedBundleError{Stack: s.Stack, File: clean, Reason: "is missing (" + err.Error() + ")"}
			}
			if got := sum(data); got != f.sum {
				return nil, nil, &TamperedBundleError{Stack: s.Stack, File: clean, Reason: fmt.Sprintf("has sha256 %s, the manifest says %s", got[:12], short(f.sum))}
			}
			if f.rel == s.Plan {
				plans[s.Stack] = data
			}
		}
	}
	return &b, plans, nil
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// bundleSummary is the markdown a reviewer reads: the plan table, then each stack's changes.
func bundleSummary(b Bundle, sum *Summary) string {
	var sb strings.Builder
	sb.WriteString(sum.Markdown())
	fmt.Fprintf(&sb, "\nPlan bundle for **%s** at commit `%s` (%s", b.Environment, b.Commit, b.Binary)
	if b.TerraformVersion != "" {
		sb.WriteString(" " + b.TerraformVersion)
	}
	sb.WriteString(").")
	if b.Production {
		sb.WriteString(" Production: applying it needs an approval.")
	}
	sb.WriteString("\n")
	ids := make([]string, 0, len(b.Stacks))
	for _, s := range b.Stacks {
		if s.Status == BundlePlanned {
			ids = append(ids, s.Stack)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		s, _ := b.Stack(id)
		fmt.Fprintf(&sb, "\n#### `%s`: +%d ~%d -%d (state %s)\n\n", id, s.Add, s.Change, s.Destroy, s.State)
		for _, c := range s.Changes {
			sb.WriteString("- `" + c + "`\n")
		}
		if s.OutputChanges > 0 {
			fmt.Fprintf(&sb, "- %d output(s) change: stacks reading them are planned again after this one is applied\n", s.OutputChanges)
		}
	}
	return sb.String()
}
