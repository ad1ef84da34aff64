package workflows

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platformteam/delivery/internal/workflows/ghfake"
)

// ghFakeStateEnv makes the test binary act as the recording `gh` (see TestMain).
const ghFakeStateEnv = "WORKFLOWS_GH_FAKE_STATE"

func TestMain(m *testing.M) {
	if state := os.Getenv(ghFakeStateEnv); state != "" {
		if err := ghfake.Run(state, os.Args[1:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runCommentJob runs the run: steps of a pull request comment job as GitHub would (bash -eo pipefail,
// the step's env with its expressions expanded) in a work directory holding the downloaded plan summary,
// with the recording gh first on PATH.
func runCommentJob(t *testing.T, run JobRun, ev Event, summary, state string) error {
	t.Helper()
	work := t.TempDir()
	bin := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "gh"), []byte("#!/bin/sh\nexec \""+self+"\" \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if len(run.Downloads) != 1 {
		return fmt.Errorf("%s downloads %d artifacts, the scenario expects the plan summary", run.Name(), len(run.Downloads))
	}
	dl := filepath.Join(work, run.Downloads[0].Path)
	if err := os.MkdirAll(dl, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dl, "summary.md"), []byte(summary), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := Contexts{
		GitHub: map[string]string{"repository": ev.Repository, "token": "fake-token", "event.pull_request.number": ev.PRNumber},
		Matrix: run.Matrix,
	}
	ran := 0
	for _, st := range run.Steps {
		if st.Run == "" {
			continue
		}
		env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), ghFakeStateEnv + "=" + state, "HOME=" + work}
		for k, v := range st.Env {
			x, err := ExpandExpressions(v, ctx)
			if err != nil {
				return fmt.Errorf("%s: step %q: env %s: %w", run.Name(), st.Label(), k, err)
			}
			env = append(env, k+"="+x)
		}
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", st.Run)
		cmd.Dir = work
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: step %q: %w\n%s", run.Name(), st.Label(), err, out)
		}
		ran++
	}
	if ran == 0 {
		return fmt.Errorf("%s has no run: step", run.Name())
	}
	return nil
}

// commentScenario runs the comment jobs of a pull request twice (two pushes) against the recording gh
// and checks what the pull request shows: one comment per environment, each with that environment's
// latest plan, the second push editing the comments instead of adding new ones.
func commentScenario(t *testing.T, wfs []Workflow, ev Event) error {
	state := filepath.Join(t.TempDir(), "gh.json")
	var jobs []JobRun
	for _, r := range Derive(wfs, ev) {
		if r.Job == "comment" {
			jobs = append(jobs, r)
		}
	}
	if len(jobs) != 2 {
		return fmt.Errorf("%d comment jobs, want one per planned environment", len(jobs))
	}
	for push := 1; push <= 2; push++ {
		for _, j := range jobs {
			if err := runCommentJob(t, j, ev, fmt.Sprintf("plan of %s, push %d\n", j.Matrix["env"], push), state); err != nil {
				return err
			}
		}
	}
	s, err := ghfake.Load(state)
	if err != nil {
		return err
	}
	if len(s.Comments) != len(jobs) {
		var bodies []string
		for _, c := range s.Comments {
			bodies = append(bodies, fmt.Sprintf("%q", c.Body))
		}
		return fmt.Errorf("the pull request shows %d plan comments after two pushes, want one per environment (%d): %s", len(s.Comments), len(jobs), strings.Join(bodies, ", "))
	}
	for _, j := range jobs {
		want := fmt.Sprintf("plan of %s, push 2", j.Matrix["env"])
		n := 0
		for _, c := range s.Comments {
			if c.Issue != ev.Repository+"#"+ev.PRNumber {
				return fmt.Errorf("comment %d went to %s, not the pull request %s#%s", c.ID, c.Issue, ev.Repository, ev.PRNumber)
			}
			if strings.Contains(c.Body, want) {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: %d comments show %q, want 1", j.Name(), n, want)
		}
	}
	posts, patches := 0, 0
	for _, c := range s.Calls {
		switch c.Method {
		case "POST":
			posts++
		case "PATCH":
			patches++
		}
	}
	if posts != 2 || patches != 2 {
		return fmt.Errorf("%d comments created and %d edited over two pushes, want 2 and 2 (calls %+v)", posts, patches, s.Calls)
	}
	return nil
}

// The pull request's plan comments, run from pr.yml's own comment step against a recording gh.
func TestPullRequestCommentsOnePerEnvironment(t *testing.T) {
	r := loadReal(t)
	if err := commentScenario(t, r.Workflows, eventNamed(t, r, "pull_request")); err != nil {
		t.Fatal(err)
	}
}

// Both environments' jobs editing the same comment (one marker for both) fails the scenario.
func TestPullRequestCommentsSharedMarkerFails(t *testing.T) {
	r := loadReal(t)
	data, err := os.ReadFile(filepath.Join(repoRoot, ".github/workflows/pr.yml"))
	if err != nil {
		t.Fatal(err)
	}
	old := `MARKER: "<!-- delivery-plan: ${{ matrix.env }} -->"`
	if !strings.Contains(string(data), old) {
		t.Fatalf("pr.yml no longer holds %s: update the mutation", old)
	}
	wf, err := ParseWorkflow(".github/workflows/pr.yml", []byte(strings.Replace(string(data), old, `MARKER: "<!-- delivery-plan -->"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	err = commentScenario(t, []Workflow{wf}, eventNamed(t, r, "pull_request"))
	if err == nil || !strings.Contains(err.Error(), "plan comments after two pushes, want one per environment") {
		t.Fatalf("a shared marker passed the comment scenario: %v", err)
	}
}
