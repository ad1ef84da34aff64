package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/ghactions"
	"github.com/platformteam/delivery/pkg/release/api"
)

const (
	oldDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	newDigest = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	repo      = "222222222222.dkr.ecr.ap-southeast-2.amazonaws.com/demo-app"
)

func newArtifact(t testing.TB, repository, digest string) *artifact.Artifact {
	t.Helper()
	img, err := artifact.NewPinned(repository, digest)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := artifact.ParseCommit("abc1234")
	a, err := artifact.New(c, img, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// fakeStages records every call; each stage's behaviour is a field a test sets.
type fakeStages struct {
	t        *testing.T
	art      *artifact.Artifact
	mu       sync.Mutex
	calls    []string
	infra    func() (Infra, error)
	publish  func() (api.Publication, error)
	ecs      func() (api.ECSResult, error)
	eks      func() (api.EKSResult, error)
	restore  func(api.Target, string) error
	verify   func() (api.VerifyReport, error)
	restored []string
	// barrier, when set, makes each deploy wait until the other one has started: a sequential
	// pipeline never gets past it.
	barrier *sync.WaitGroup
}

func (f *fakeStages) record(c string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

func (f *fakeStages) Infra(context.Context) (Infra, error) {
	f.record("infra")
	if f.infra != nil {
		return f.infra()
	}
	return Infra{Stacks: []StackChange{{Stack: "shared/vpc", Action: "apply", Status: "no changes"}}}, nil
}

func (f *fakeStages) Publish(context.Context) (api.Publication, error) {
	f.record("publish")
	if f.publish != nil {
		return f.publish()
	}
	return api.Publication{Artifact: f.art}, nil
}

func (f *fakeStages) Promote(_ context.Context, from *artifact.Artifact) (api.Publication, error) {
	f.record("promote " + from.Image.Registry())
	to, err := from.Promoted(repo)
	if err != nil {
		return api.Publication{}, err
	}
	return api.Publication{Artifact: to, PromotedFrom: from.Image}, nil
}

func (f *fakeStages) wait() {
	if f.barrier == nil {
		return
	}
	f.barrier.Done()
	done := make(chan struct{})
	go func() { f.barrier.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		f.t.Error("the deploys ran one after the other: the second never started while the first waited")
	}
}

func (f *fakeStages) DeployECS(_ context.Context, art *artifact.Artifact) (api.ECSResult, error) {
	f.record("deploy-ecs " + art.Digest())
	f.wait()
	if f.ecs != nil {
		return f.ecs()
	}
	return ecsDeployed(art), nil
}

func (f *fakeStages) DeployEKS(_ context.Context, art *artifact.Artifact) (api.EKSResult, error) {
	f.record("deploy-eks " + art.Digest())
	f.wait()
	if f.eks != nil {
		return f.eks()
	}
	return eksDeployed(art), nil
}

func (f *fakeStages) Restore(_ context.Context, t api.Target, previous string) error {
	f.record(fmt.Sprintf("restore %s %s", t, previous))
	if f.restore != nil {
		return f.restore(t, previous)
	}
	return nil
}

func (f *fakeStages) Verify(_ context.Context, art *artifact.Artifact) (api.VerifyReport, error) {
	f.record("verify " + art.Digest())
	if f.verify != nil {
		return f.verify()
	}
	return api.VerifyReport{Digest: art.Digest(), Checks: []api.Check{{Platform: api.ECS, OK: true, Digest: art.Digest()}, {Platform: api.EKS, OK: true, Digest: art.Digest()}}}, nil
}

func ecsDeployed(art *artifact.Artifact) api.ECSResult {
	return api.ECSResult{Outcome: api.Deployed, Image: art.Ref(), PreviousImage: repo + "@" + oldDigest,
		PreviousTaskDefinition: "arn:aws:ecs:ap-southeast-2:222222222222:task-definition/demo-app:3",
		TaskDefinition:         "arn:aws:ecs:ap-southeast-2:222222222222:task-definition/demo-app:4",
		RunningTaskDefinition:  "arn:aws:ecs:ap-southeast-2:222222222222:task-definition/demo-app:4"}
}

func eksDeployed(art *artifact.Artifact) api.EKSResult {
	return api.EKSResult{Outcome: api.Deployed, Image: art.Ref(), PreviousImage: repo + "@" + oldDigest, OldRevision: 5, NewRevision: 6, CurrentRevision: 6}
}

func eksRolledBack(art *artifact.Artifact) (api.EKSResult, error) {
	res := api.EKSResult{Outcome: api.RolledBack, Image: art.Ref(), PreviousImage: repo + "@" + oldDigest, OldRevision: 5, NewRevision: 6, CurrentRevision: 7, Reason: "ImagePullBackOff"}
	return res, &api.FailedError{Target: api.EKS, Outcome: api.RolledBack, Cause: errors.New("pod demo-app-x: ImagePullBackOff"), Running: "helm revision 7"}
}

func newFake(t *testing.T) *fakeStages {
	return &fakeStages{t: t, art: newArtifact(t, repo, newDigest)}
}

// clock advances one second per reading, so step durations are known.
func clock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

func steps(r *Run) string {
	var out []string
	for _, s := range r.Steps {
		out = append(out, s.Name+"="+string(s.Status))
	}
	return strings.Join(out, " ")
}

func TestDeployRunsTheStepsInOrderAndTheTargetsConcurrently(t *testing.T) {
	f := newFake(t)
	f.barrier = &sync.WaitGroup{}
	f.barrier.Add(2)
	r := Deploy(context.Background(), f, Request{Env: "staging", Infra: true, Now: clock()})
	if r.ExitCode != 0 || r.Err != nil {
		t.Fatalf("exit %d: %v", r.ExitCode, r.Err)
	}
	if got, want := steps(r), "infra=no change publish=ok deploy-ecs=ok deploy-eks=ok verify=ok"; got != want {
		t.Fatalf("steps %q, want %q", got, want)
	}
	if len(f.calls) != 5 || f.calls[0] != "infra" || f.calls[1] != "publish" || f.calls[4] != "verify "+newDigest {
		t.Fatalf("calls %v", f.calls)
	}
	if !r.Changed() || !r.Verified || r.Artifact.Digest() != newDigest {
		t.Fatalf("run %+v", r)
	}
	if r.DeployWall <= 0 {
		t.Fatal("the concurrent deploys' wall time must be recorded")
	}
}

func TestSkipRules(t *testing.T) {
	cases := map[string]struct {
		req   Request
		setup func(*fakeStages)
		steps string
		code  int
		calls int
	}{
		"infra not requested": {Request{Env: "staging"}, nil,
			"infra=skipped publish=ok deploy-ecs=ok deploy-eks=ok verify=ok", 0, 4},
		"infra failed": {Request{Env: "staging", Infra: true}, func(f *fakeStages) {
			f.infra = func() (Infra, error) {
				return Infra{Stacks: []StackChange{{Stack: "shared/vpc", Action: "apply", Status: "failed"}}, Failed: 1}, errors.New("apply failed: shared/vpc")
			}
		}, "infra=failed publish=skipped deploy-ecs=skipped deploy-eks=skipped verify=skipped", 1, 1},
		"publish failed": {Request{Env: "staging"}, func(f *fakeStages) {
			f.publish = func() (api.Publication, error) {
				return api.Publication{}, errors.New("registry refused the credentials")
			}
		}, "infra=skipped publish=failed deploy-ecs=skipped deploy-eks=skipped verify=skipped", 1, 1},
		"nothing to deploy": {Request{Env: "staging"}, func(f *fakeStages) {
			f.publish = func() (api.Publication, error) { return api.Publication{Artifact: f.art, Existed: true}, nil }
			f.ecs = func() (api.ECSResult, error) {
				return api.ECSResult{Outcome: api.Unchanged, PreviousTaskDefinition: "td/demo-app:4", RunningTaskDefinition: "td/demo-app:4"}, nil
			}
			f.eks = func() (api.EKSResult, error) {
				return api.EKSResult{Outcome: api.Unchanged, OldRevision: 6, NewRevision: 6, CurrentRevision: 6}, nil
			}
		}, "infra=skipped publish=no change deploy-ecs=no change deploy-eks=no change verify=ok", 0, 4},
		"production without an artifact": {Request{Env: "production", Production: true, Infra: true}, nil, "", 1, 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			if tc.setup != nil {
				tc.setup(f)
			}
			tc.req.Now = clock()
			r := Deploy(context.Background(), f, tc.req)
			if got := steps(r); got != tc.steps {
				t.Errorf("steps %q, want %q", got, tc.steps)
			}
			if r.ExitCode != tc.code || (tc.code != 0) != (r.Err != nil) {
				t.Errorf("exit %d (%v), want %d", r.ExitCode, r.Err, tc.code)
			}
			if len(f.calls) != tc.calls {
				t.Errorf("calls %v, want %d", f.calls, tc.calls)
			}
			for _, s := range r.Steps {
				if s.Status == StatusSkipped && s.Detail == "" {
					t.Errorf("a skip must say why: %+v", s)
				}
			}
		})
	}
	f := newFake(t)
	r := Deploy(context.Background(), f, Request{Env: "production", Production: true})
	if !errors.Is(r.Err, ErrProductionNeedsArtifact) || !strings.Contains(r.Err.Error(), "--artifact") {
		t.Fatalf("production must refuse to build: %v", r.Err)
	}
	f = newFake(t)
	if r := Deploy(context.Background(), f, Request{Env: "staging"}); r.Changed() != true {
		t.Fatal("a deployed target is a change")
	}
}

func TestPromoteNeverBuilds(t *testing.T) {
	f := newFake(t)
	staging := newArtifact(t, "222222222222.dkr.ecr.ap-southeast-2.amazonaws.com/demo-app", newDigest)
	r := Deploy(context.Background(), f, Request{Env: "production", Production: true, Artifact: staging, Now: clock()})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d: %v", r.ExitCode, r.Err)
	}
	for _, c := range f.calls {
		if c == "publish" {
			t.Fatalf("a promotion must never build: %v", f.calls)
		}
	}
	if f.calls[0] != "promote 222222222222.dkr.ecr.ap-southeast-2.amazonaws.com" || steps(r) != "infra=skipped promote=ok deploy-ecs=ok deploy-eks=ok verify=ok" {
		t.Fatalf("calls %v steps %s", f.calls, steps(r))
	}
	if r.Artifact.Digest() != staging.Digest() || r.PromotedFrom.String() != staging.Ref() {
		t.Fatalf("the promoted digest must be the staging digest: %+v", r)
	}
}

func TestSplitResultRestoresTheOtherTarget(t *testing.T) {
	f := newFake(t)
	f.eks = func() (api.EKSResult, error) { return eksRolledBack(f.art) }
	r := Deploy(context.Background(), f, Request{Env: "staging", Now: clock()})
	if r.ExitCode != api.ExitRolledBack {
		t.Fatalf("exit %d (%v), want %d", r.ExitCode, r.Err, api.ExitRolledBack)
	}
	if got, want := steps(r), "infra=skipped publish=ok deploy-ecs=ok deploy-eks=failed restore-ecs=ok verify=skipped"; got != want {
		t.Fatalf("steps %q, want %q", got, want)
	}
	if last := f.calls[len(f.calls)-1]; last != "restore ecs demo-app:3" {
		t.Fatalf("ECS must be restored to the task definition it ran before: %v", f.calls)
	}
	ecs := r.Rollout(api.ECS)
	if !ecs.Restored || ecs.Changed() || r.Changed() || ecs.Running() != repo+"@"+oldDigest {
		t.Fatalf("ECS after the restore: %+v (running %s)", ecs, ecs.Running())
	}
	for _, want := range []string{"every target runs its previous version again", "ecs runs " + repo + "@" + oldDigest, "eks runs " + repo + "@" + oldDigest} {
		if !strings.Contains(r.Split, want) {
			t.Errorf("split %q lacks %q", r.Split, want)
		}
	}
}

func TestSplitResultThatCannotBeRepairedNamesWhatRunsWhere(t *testing.T) {
	cases := map[string]func(f *fakeStages){
		"the restore fails": func(f *fakeStages) {
			f.eks = func() (api.EKSResult, error) { return eksRolledBack(f.art) }
			f.restore = func(api.Target, string) error { return errors.New("update-service refused") }
		},
		"the failed target was not rolled back": func(f *fakeStages) {
			f.eks = func() (api.EKSResult, error) {
				res := api.EKSResult{Outcome: api.Failed, Image: f.art.Ref(), OldRevision: 5, NewRevision: 6, CurrentRevision: 0}
				return res, &api.FailedError{Target: api.EKS, Outcome: api.Failed, Cause: errors.New("timed out"), Running: "no deployed revision"}
			}
		},
		"a first install cannot be restored": func(f *fakeStages) {
			f.ecs = func() (api.ECSResult, error) {
				return api.ECSResult{}, errors.New("describe service demo-app: AccessDenied (ecs:DescribeServices)")
			}
			f.eks = func() (api.EKSResult, error) {
				return api.EKSResult{Outcome: api.Deployed, Image: f.art.Ref(), OldRevision: 0, NewRevision: 1, CurrentRevision: 1}, nil
			}
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			setup(f)
			r := Deploy(context.Background(), f, Request{Env: "staging", Now: clock()})
			if r.ExitCode != api.ExitNotRolledBack {
				t.Fatalf("exit %d (%v), want %d", r.ExitCode, r.Err, api.ExitNotRolledBack)
			}
			if !strings.Contains(r.Split, "NOT everything is back") || !strings.Contains(r.Split, "ecs runs") || !strings.Contains(r.Split, "eks runs") {
				t.Fatalf("the report must name what runs where: %q", r.Split)
			}
			if !strings.Contains(r.Err.Error(), "now ecs runs") {
				t.Fatalf("the error must name what runs where: %v", r.Err)
			}
		})
	}
}

func TestUnchangedTargetIsNotRestored(t *testing.T) {
	f := newFake(t)
	f.ecs = func() (api.ECSResult, error) {
		return api.ECSResult{Outcome: api.Unchanged, Image: f.art.Ref(), PreviousImage: f.art.Ref(), PreviousTaskDefinition: "td/demo-app:4", RunningTaskDefinition: "td/demo-app:4"}, nil
	}
	f.eks = func() (api.EKSResult, error) { return eksRolledBack(f.art) }
	r := Deploy(context.Background(), f, Request{Env: "staging", Now: clock()})
	for _, c := range f.calls {
		if strings.HasPrefix(c, "restore") {
			t.Fatalf("a target this run did not change is not restored: %v", f.calls)
		}
	}
	if r.ExitCode != api.ExitRolledBack {
		t.Fatalf("exit %d: every target runs what it ran before the run", r.ExitCode)
	}
}

func TestExitCodes(t *testing.T) {
	cases := map[string]struct {
		setup func(*fakeStages)
		code  int
	}{
		"ok": {nil, api.ExitOK},
		"verify mismatch": {func(f *fakeStages) {
			f.verify = func() (api.VerifyReport, error) {
				return api.VerifyReport{Digest: newDigest, Checks: []api.Check{{Platform: api.EKS, Target: "demo/p", Container: "app", Digest: oldDigest}}, Mismatches: 1}, nil
			}
		}, api.ExitMismatch},
		"verify error": {func(f *fakeStages) {
			f.verify = func() (api.VerifyReport, error) { return api.VerifyReport{}, errors.New("cluster unreachable") }
		}, api.ExitFailed},
		"both rolled back": {func(f *fakeStages) {
			f.ecs = func() (api.ECSResult, error) {
				res := api.ECSResult{Outcome: api.RolledBack, PreviousTaskDefinition: "td/demo-app:3", RunningTaskDefinition: "td/demo-app:3", TaskDefinition: "td/demo-app:4"}
				return res, &api.FailedError{Target: api.ECS, Outcome: api.RolledBack, Cause: errors.New("circuit breaker")}
			}
			f.eks = func() (api.EKSResult, error) { return eksRolledBack(f.art) }
		}, api.ExitRolledBack},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			if tc.setup != nil {
				tc.setup(f)
			}
			r := Deploy(context.Background(), f, Request{Env: "staging", Now: clock()})
			if r.ExitCode != tc.code {
				t.Fatalf("exit %d (%v), want %d", r.ExitCode, r.Err, tc.code)
			}
			if rep := r.Report(); rep.ExitCode != tc.code {
				t.Fatalf("the JSON report carries exit code %d, want %d", rep.ExitCode, tc.code)
			}
		})
	}
}

func TestTheThreeFormats(t *testing.T) {
	f := newFake(t)
	staging := newArtifact(t, "222222222222.dkr.ecr.ap-southeast-2.amazonaws.com/staging/demo-app", newDigest)
	r := Deploy(context.Background(), f, Request{Env: "production", Production: true, Artifact: staging, Infra: true,
		Accounts: []string{"333333333333", "222222222222"}, Now: clock()})
	text, err := r.Render(FormatText)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"deploy production: changed", "image    " + repo + "@" + newDigest + " (commit abc1234)",
		"promoted from 222222222222.dkr.ecr.ap-southeast-2.amazonaws.com/staging/demo-app", "ecs      task definition demo-app:3 → demo-app:4",
		"eks      helm revision 5 → 6", "verify   running digest = " + newDigest, "deploys  ecs ∥ eks in", "infra        no change"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	md, _ := r.Render(FormatMarkdown)
	for _, want := range []string{"### Deploy `production`: changed", "promoted from `222222222222.dkr.ecr.ap-southeast-2.amazonaws.com/staging/demo-app`",
		"| ecs | task definition | `demo-app:3` | `demo-app:4` | `" + repo + "@" + newDigest + "` |", "| deploy-eks | ok |", "| `shared/vpc` | apply |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	raw, _ := r.Render(FormatJSON)
	rep, err := api.Decode[ghactions.Report]([]byte(raw))
	if err != nil {
		t.Fatalf("the JSON format is a ghactions report: %v\n%s", err, raw)
	}
	if err := rep.Validate(); err != nil {
		t.Fatal(err)
	}
	if rep.ExitCode != 0 || rep.Outputs["digest"] != newDigest || rep.Outputs["ecs_new"] != "demo-app:4" || rep.Outputs["changed"] != "true" || rep.Markdown != md {
		t.Fatalf("report %+v", rep)
	}
	if len(rep.Masks) != 2 || rep.Masks[0] != "333333333333" {
		t.Fatalf("the report must mask the accounts the run touched: %v", rep.Masks)
	}
	a, err := artifact.Parse([]byte(rep.Outputs["artifact"]))
	if err != nil || a.Ref() != repo+"@"+newDigest {
		t.Fatalf("the artifact output is the promoted artifact.json: %v %v", a, err)
	}
	if _, err := r.Render("yaml"); err == nil {
		t.Fatal("an unknown format must be refused")
	}

	// A failed run: the error, the split and an annotation per failed step reach every format.
	f = newFake(t)
	f.eks = func() (api.EKSResult, error) { return eksRolledBack(f.art) }
	failed := Deploy(context.Background(), f, Request{Env: "staging", Now: clock()})
	text, _ = failed.Render(FormatText)
	md, _ = failed.Render(FormatMarkdown)
	raw, _ = failed.Render(FormatJSON)
	var frep ghactions.Report
	if err := json.Unmarshal([]byte(raw), &frep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "deploy staging: FAILED") || !strings.Contains(text, "split    every target runs its previous version again") ||
		!strings.Contains(md, "**Split result:**") || frep.ExitCode != api.ExitRolledBack || len(frep.Annotations) != 2 {
		t.Fatalf("failed run:\n%s\n%s\n%+v", text, md, frep)
	}
}
