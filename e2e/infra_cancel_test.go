//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/sandboxtest"
)

// Cancels, killed runs and deploy --infra through Dagger (see infra_test.go).

// slowStack makes shared/ecr's apply take a while (a provisioner sleeping), so a run can be killed or
// cancelled in the middle of it.
var slowStack = map[string]string{"sandbox/blueprint/stacks/shared/ecr/slow.tf": `# e2e only: an apply that takes a while.
resource "terraform_data" "slow" {
  input = var.tags["Owner"]

  provisioner "local-exec" {
    command = "sleep 20"
  }
}
`}

const slowLockKey = "local/shared/ecr/terraform.tfstate.tflock"

// waitForLock waits until a run holds shared/ecr's state lock (its apply is in progress).
func waitForLock(t *testing.T, sb *sandboxtest.Sandbox, bucket string, done <-chan error, out *lockedBuffer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		if _, ok := s3Object(t, sb, bucket, slowLockKey); ok {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("the run ended before shared/ecr's apply took its lock: %v\n%s", err, tail(out.String(), 40))
		case <-time.After(300 * time.Millisecond):
		}
	}
	t.Fatalf("shared/ecr's apply never took its state lock\n%s", tail(out.String(), 40))
}

// startDagger starts scripts/dagger-local.sh (which execs `stacks guard`, or with guarded=false the
// dagger CLI itself) and returns the process, its output and a channel with its end.
func startDagger(t *testing.T, sb *sandboxtest.Sandbox, dir string, guarded bool, args ...string) (*exec.Cmd, *lockedBuffer, <-chan error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(dir, "scripts", "dagger-local.sh"), append(args, "--progress=plain")...)
	cmd.Dir = dir
	cmd.Env = sb.Environ()
	if !guarded {
		cmd.Env = append(cmd.Env, "DELIVERY_NO_GUARD=1")
	}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return cmd, out, done
}

// TestInfraKilledApplyLeavesALockThatIsReportedAndRecovered: kill -9 of the dagger CLI in the middle of
// an apply (started bare, without the guard, so nothing can stop terraform gracefully: the engine
// SIGKILLs it); the next run names the held lock with holder, age and the exact fix; after that fix the
// stack converges.
func TestInfraKilledApplyLeavesALockThatIsReportedAndRecovered(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	bucket := stateBucket(t, repoRoot(t))
	owner := "e2e-kill-" + time.Now().Format("150405")
	dir := withOwner(t, owner, slowStack)

	cmd, out, done := startDagger(t, sb, dir, false, "apply", "--stack", "shared/ecr")
	waitForLock(t, sb, bucket, done, out)
	time.Sleep(3 * time.Second) // well inside the 20 s apply
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("dagger did not end after kill -9\n%s", tail(out.String(), 20))
	}
	time.Sleep(5 * time.Second) // the engine tears the session down
	if _, ok := s3Object(t, sb, bucket, slowLockKey); !ok {
		t.Fatalf("kill -9 mid-apply left no lock: the test did not hit the apply\n%s", tail(out.String(), 30))
	}

	// The next run: the held lock, with holder, age and the fix.
	next, err := daggerLocal(t, sb, dir, "apply", "--stack", "shared/ecr", "--lock-timeout", "5s")
	if err == nil {
		t.Fatalf("apply with a dead run's lock must fail:\n%s", tail(next, 30))
	}
	for _, want := range []string{"state lock held: shared/ecr (key local/shared/ecr/terraform.tfstate) is locked by", " ago)",
		"dagger call force-unlock --env local --stack shared/ecr --lock-id "} {
		if !strings.Contains(next, want) {
			t.Fatalf("the held-lock message lacks %q:\n%s", want, tail(next, 30))
		}
	}
	m := regexp.MustCompile(`--stack shared/ecr --lock-id ([0-9a-f-]+)`).FindStringSubmatch(next)
	if m == nil {
		t.Fatalf("no lock ID in:\n%s", tail(next, 30))
	}
	t.Logf("held-lock report:\n%s", grepLines(next, "state lock held"))

	// The documented recovery, then the stack converges.
	if out, err := daggerLocal(t, sb, dir, "force-unlock", "--stack", "shared/ecr", "--lock-id", m[1]); err != nil {
		t.Fatalf("force-unlock: %v\n%s", err, tail(out, 30))
	}
	if out, err := daggerLocal(t, sb, dir, "apply", "--stack", "shared/ecr"); err != nil {
		t.Fatalf("apply after the recovery: %v\n%s", err, tail(out, 40))
	}
	if got := stateOwner(t, sb, bucket, "shared/ecr"); got != owner {
		t.Fatalf("shared/ecr did not converge: its state has owner %q, the code %q", got, owner)
	}
	if _, held := s3Object(t, sb, bucket, slowLockKey); held {
		t.Fatal("the converged apply left a lock")
	}
}

// TestInfraCancelledApplyLeavesNoLock: SIGINT to `dagger call apply` (through the guard, as Ctrl-C or a
// CI cancel sends it) interrupts terraform gracefully: the run ends by itself and no lock is left.
func TestInfraCancelledApplyLeavesNoLock(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	bucket := stateBucket(t, repoRoot(t))
	owner := "e2e-sigint-" + time.Now().Format("150405")
	dir := withOwner(t, owner, slowStack)

	cmd, out, done := startDagger(t, sb, dir, true, "apply", "--stack", "shared/ecr")
	waitForLock(t, sb, bucket, done, out)
	time.Sleep(3 * time.Second)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(3 * time.Minute):
		t.Fatalf("the cancelled run did not end\n%s", tail(out.String(), 30))
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 || !strings.Contains(out.String(), "stopping terraform gracefully") {
		t.Fatalf("want exit 130 after a graceful stop, got %v\n%s", err, tail(out.String(), 40))
	}
	if _, held := s3Object(t, sb, bucket, slowLockKey); held {
		t.Fatalf("a cancelled apply left its lock\n%s", tail(out.String(), 40))
	}
	t.Logf("cancelled run:\n%s", grepLines(out.String(), "interrupt", "stacks guard"))
	if out, err := daggerLocal(t, sb, dir, "apply", "--stack", "shared/ecr"); err != nil {
		t.Fatalf("apply after the cancel: %v\n%s", err, tail(out, 40))
	}
	if got := stateOwner(t, sb, bucket, "shared/ecr"); got != owner {
		t.Fatalf("after the cancel, the next apply must converge: shared/ecr's state has owner %q, the code %q", got, owner)
	}
}

// TestInfraDeployWithInfraConverges: `deploy --infra` runs the same apply machinery before the app
// deploy; on the repository as it is, it brings the sandbox back to the committed tags.
func TestInfraDeployWithInfraConverges(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	root := cloneRepo(t, repoRoot(t), func(string) {}) // its own git repository: the module reads its commit
	bucket := stateBucket(t, root)
	out, err := daggerLocal(t, sb, root, "deploy", "--infra")
	if err != nil {
		t.Fatalf("deploy --infra: %v\n%s", err, tail(out, 60))
	}
	if !strings.Contains(out, "infra") || !strings.Contains(out, "stacks changed") {
		t.Fatalf("the summary must say what the infra step did:\n%s", tail(out, 40))
	}
	want := tagsOwner(t, root)
	if got := stateOwner(t, sb, bucket, "shared/vpc"); got != want {
		t.Fatalf("after deploy --infra shared/vpc has owner %q, the repository says %q", got, want)
	}
	out, err = daggerLocal(t, sb, root, "drift", "--format", "json")
	if rep := jsonReport(t, out); err != nil || rep.ExitCode != 0 {
		t.Fatalf("deploy --infra must leave nothing to apply: %v %+v", err, rep)
	}
}

func tagsOwner(t *testing.T, root string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "environments", "local", "tags.tfvars"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Owner\s*=\s*"([^"]*)"`).FindStringSubmatch(string(raw))
	if m == nil {
		t.Fatal("environments/local/tags.tfvars sets no Owner")
	}
	return m[1]
}

func grepLines(s string, words ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, w := range words {
			if strings.Contains(l, w) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// lockedBuffer is a bytes.Buffer safe for the process's writes and the test's reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
