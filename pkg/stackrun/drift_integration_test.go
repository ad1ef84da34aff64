//go:build integration

package stackrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/platformteam/delivery/internal/sandbox"
	"github.com/platformteam/delivery/internal/sandbox/toolchain"
)

// localProvider is hashicorp/local v1.4.0 built from the Go module proxy (its module path is the old
// terraform-providers one): the one provider with a refreshable remote object (a file) this workplace
// can obtain. Cached in the tool cache like the sandbox's own tools.
var localProvider = toolchain.GoTool{
	Name: "terraform-provider-local", Version: "v1.4.0", Binary: "terraform-provider-local",
	Pkg: "github.com/terraform-providers/terraform-provider-local@v1.4.0", Timeout: 15 * time.Minute,
	Why: "a provider with a refreshable object, for the drift test", Expect: "about 2 minutes",
}

// providerMirror builds (once) the local provider and returns a terraform CLI config that installs it
// from a filesystem mirror, the way an air-gapped site serves providers.
func providerMirror(t *testing.T) string {
	t.Helper()
	wd, _ := os.Getwd()
	layout, err := sandbox.DiscoverLayout(wd)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := localProvider.Ensure(context.Background(), layout.CacheDir, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	mirror := t.TempDir()
	dir := filepath.Join(mirror, "registry.terraform.io", "hashicorp", "local", "1.4.0", "linux_amd64")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(bin, filepath.Join(dir, "terraform-provider-local_v1.4.0")); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "terraform.rc")
	body := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [\"registry.terraform.io/hashicorp/local\"]\n  }\n}\n", mirror)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestIntegrationDriftTellsOutsideChangesFromUnappliedCode: a stack managing a real object (a file,
// through hashicorp/local). Editing the file outside Terraform is reported as drift and not as
// unapplied code; changing the code (its tfvars) is reported as unapplied code and not as drift; both
// at once are both, separately.
func TestIntegrationDriftTellsOutsideChangesFromUnappliedCode(t *testing.T) {
	ctx := context.Background()
	cliConfig := providerMirror(t)
	root, _ := itFixture(t, "outofband")
	note := filepath.Join(t.TempDir(), "note.txt")
	setNote := func(content string) {
		t.Helper()
		body := fmt.Sprintf("note_path = %q\nnote      = %q\n", note, content)
		if err := os.WriteFile(filepath.Join(root, "environments", "it", "note.tfvars"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runner := func() (*Runner, *strings.Builder) {
		return itRunner(t, root, func(o *Options) {
			exec := o.Executor.(*LocalExecutor)
			exec.BaseEnv = append(exec.BaseEnv, "TF_CLI_CONFIG_FILE="+cliConfig)
		})
	}
	const id = "files/note"
	drift := func(wantDrifted, wantUnapplied bool) *Summary {
		t.Helper()
		r, out := runner()
		sum := r.Drift(ctx)
		if !sum.OK() {
			t.Fatalf("drift failed:\n%s\n%s", sum.Markdown(), out)
		}
		res, _ := sum.Result(id)
		if res.Drifted != wantDrifted || res.Unapplied != wantUnapplied {
			t.Fatalf("drifted=%v unapplied=%v (%q), want drifted=%v unapplied=%v\n%s\n%s", res.Drifted, res.Unapplied, res.Outcome,
				wantDrifted, wantUnapplied, sum.Markdown(), out)
		}
		return sum
	}

	setNote("v1")
	r, out := runner()
	mustSucceed(t, r.Apply(ctx), out)
	if got, _ := os.ReadFile(note); string(got) != "v1" {
		t.Fatalf("the apply wrote %q", got)
	}
	drift(false, false)

	// Outside Terraform: someone edits the file. Drift, and the code is still what was applied.
	if err := os.WriteFile(note, []byte("edited by hand"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := drift(true, false)
	if res, _ := sum.Result(id); !strings.Contains(strings.Join(res.DriftChanges, ","), "local_file.note") {
		t.Fatalf("drift changes %v do not name local_file.note", res.DriftChanges)
	}
	if !strings.Contains(sum.Markdown(), "drifted") {
		t.Fatalf("markdown does not say drifted:\n%s", sum.Markdown())
	}

	// Both: the file is still edited and the code moves on.
	setNote("v2")
	drift(true, true)

	// Code only: the apply puts the file back as the new code says; then the code moves on again.
	r, out = runner()
	mustSucceed(t, r.Apply(ctx), out)
	if got, _ := os.ReadFile(note); string(got) != "v2" {
		t.Fatalf("the apply wrote %q", got)
	}
	setNote("v3")
	drift(false, true)
}
