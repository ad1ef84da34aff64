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

// Killed and cancelled applies through Dagger (see infra_test.go).

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

// TestInfraKilledAndCancelledApplies: one stack (shared/ecr, made slow), four dagger calls.
//
//  1. `dagger call apply` started bare (no guard: nothing can stop terraform gracefully) is killed with
//     kill -9 in the middle of the apply: the engine SIGKILLs terraform and its state lock stays.
//  2. The next apply reports the held lock with its holder, its age and the exact force-unlock command.
//  3. The documented recovery, on the host (`go run ./cmd/stacks force-unlock ...`, the first command the
//     message names; the Dagger form runs the same code in the container and costs a module load).
//  4. An apply under `stacks guard` (as scripts/dagger-local.sh and deploy.yml run it) gets SIGINT in the
//     middle of its apply: terraform is interrupted gracefully, the run exits 130, no lock is left.
//  5. The next apply converges: the state carries the code's Owner tag and no lock is left.
func TestInfraKilledAndCancelledApplies(t *testing.T) {
	sb := sandboxtest.Env(t)
	requireDagger(t, sb)
	bucket := stateBucket(t, repoRoot(t))
	owner := "e2e-kill-" + time.Now().Format("150405")
	dir := withOwner(t, owner, slowStack)

	// 1. kill -9 mid-apply.
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

	// 2. The next run: the held lock, with holder, age and the fix.
	next, err := daggerLocal(t, sb, dir, "apply", "--stack", "shared/ecr", "--lock-timeout", "5s")
	if err == nil {
		t.Fatalf("apply with a dead run's lock must fail:\n%s", tail(next, 30))
	}
	for _, want := range []string{"state lock held: shared/ecr (key local/shared/ecr/terraform.tfstate) is locked by", " ago)",
		"go run ./cmd/stacks force-unlock --env local --stack shared/ecr --lock-id ",
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

	// 3. The documented recovery.
	unlock := exec.Command("go", "run", "./cmd/stacks", "force-unlock", "--env", "local", "--stack", "shared/ecr", "--lock-id", m[1])
	unlock.Dir = dir
	unlock.Env = append(sb.Environ(), "TF_BINARY="+sb.Terraform)
	if out, err := unlock.CombinedOutput(); err != nil {
		t.Fatalf("force-unlock: %v\n%s", err, tail(string(out), 30))
	}
	if _, held := s3Object(t, sb, bucket, slowLockKey); held {
		t.Fatal("force-unlock left the lock")
	}

	// 4. SIGINT through the guard mid-apply: graceful, no lock left.
	cmd, out, done = startDagger(t, sb, dir, true, "apply", "--stack", "shared/ecr")
	waitForLock(t, sb, bucket, done, out)
	time.Sleep(3 * time.Second)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
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

	// 5. The stack converges.
	if out, err := daggerLocal(t, sb, dir, "apply", "--stack", "shared/ecr"); err != nil {
		t.Fatalf("apply after the recovery and the cancel: %v\n%s", err, tail(out, 40))
	}
	if got := stateOwner(t, sb, bucket, "shared/ecr"); got != owner {
		t.Fatalf("shared/ecr did not converge: its state has owner %q, the code %q", got, owner)
	}
	if _, held := s3Object(t, sb, bucket, slowLockKey); held {
		t.Fatal("the converged apply left a lock")
	}
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
