package release

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"k8s.io/client-go/kubernetes"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/ecsdeploy"
	"github.com/platformteam/delivery/pkg/helmdeploy"
	"github.com/platformteam/delivery/pkg/image"
	"github.com/platformteam/delivery/pkg/release/api"
	"github.com/platformteam/delivery/pkg/verify"
)

// Publish pushes an image built elsewhere (an OCI layout or image tarball, e.g. what the Dagger module
// exports) to the environment's repository under the commit's short SHA, through the same credentials
// as every deploy. Tags are immutable: the same digest again is a no-op, another digest is refused.
func Publish(ctx context.Context, a *Access, source string, commit artifact.Commit, now time.Time) (api.Publication, error) {
	reg, err := a.Registry(ctx)
	if err != nil {
		return api.Publication{}, err
	}
	repo := Repository(a.Env)
	pushed, err := image.Push(ctx, reg, repo, commit.Short(), source)
	if err != nil {
		return api.Publication{}, err
	}
	return publication(a, pushed, commit, now)
}

// publication reports a push and makes its artifact.
func publication(a *Access, pushed image.Pushed, commit artifact.Commit, now time.Time) (api.Publication, error) {
	repo := Repository(a.Env)
	if pushed.Existed {
		fmt.Fprintf(a.Out, "%s:%s already holds %s: nothing pushed (tags are immutable)\n", repo, commit.Short(), pushed.Image.Digest())
	} else {
		fmt.Fprintf(a.Out, "pushed %s:%s → %s\n", repo, commit.Short(), pushed.Image.Digest())
	}
	art, err := artifact.New(commit, pushed.Image, now)
	if err != nil {
		return api.Publication{}, err
	}
	return api.Publication{Artifact: art, Existed: pushed.Existed, MediaType: pushed.MediaType, Size: pushed.Size}, nil
}

// Promote copies the artifact's image, by digest, into the environment's repository and returns the
// artifact of the copy (same digest, commit and version). Across accounts the environment's own
// credentials read the source registry (its repository policy must allow this account to pull) and
// write their own; an ECR token is valid for every registry the principal may read. An image already
// in the repository is only confirmed (one HEAD request). The digest is checked equal after the copy.
func Promote(ctx context.Context, a *Access, art *artifact.Artifact) (api.Publication, error) {
	reg, err := a.Registry(ctx)
	if err != nil {
		return api.Publication{}, err
	}
	repo := Repository(a.Env)
	if art.Repository() == repo {
		res, err := image.Confirm(ctx, reg, art.Image)
		if err != nil {
			return api.Publication{}, err
		}
		fmt.Fprintf(a.Out, "%s is already in %s: nothing to promote\n", art.Ref(), repo)
		return api.Publication{Artifact: art, Existed: true, MediaType: res.MediaType, Size: res.Size}, nil
	}
	src := reg.At("") // the source's own host, with the same credentials
	if art.Image.Registry() == RegistryHost(a.Env) {
		src = reg // same registry, maybe through an alias
	}
	// This environment's deploy gate judges the source image first, with its own trust policy:
	// nothing is copied when it refuses.
	if _, err := Gate(ctx, a, art); err != nil {
		return api.Publication{}, err
	}
	copied, err := image.Copy(ctx, src, art.Image, reg, repo)
	if err != nil {
		return api.Publication{}, fmt.Errorf("promote %s into %s: %w", art.Image.Tagged(), repo, err)
	}
	if copied.Image.Digest() != art.Digest() {
		return api.Publication{}, fmt.Errorf("promote %s: %s holds %s, not the artifact's digest", art.Ref(), repo, copied.Image.Digest())
	}
	out, err := art.Promoted(repo)
	if err != nil {
		return api.Publication{}, err
	}
	// The signatures and attestations travel with the image, byte for byte.
	evidence, err := signatures(ctx, src).Copy(ctx, art.Image.Ref(), out.Image.Ref(), signatures(ctx, reg))
	if err != nil {
		return api.Publication{}, fmt.Errorf("promote the signatures of %s into %s: %w", art.Ref(), repo, err)
	}
	for _, c := range evidence {
		fmt.Fprintf(a.Out, "%s: %s\n", c.Tag, c.Outcome)
	}
	if copied.Existed {
		fmt.Fprintf(a.Out, "%s:%s already holds %s: nothing copied (promoted before)\n", repo, art.Tag(), art.Digest())
	} else {
		fmt.Fprintf(a.Out, "promoted %s → %s (same digest)\n", art.Image.Tagged(), out.Image.Tagged())
	}
	return api.Publication{Artifact: out, Existed: copied.Existed, PromotedFrom: art.Image, MediaType: copied.MediaType, Size: copied.Size}, nil
}

// ECSDeployer is the ECS engine on the environment's credentials.
func (a *Access) ECSDeployer(ctx context.Context) (*ecsdeploy.Deployer, error) {
	cfg, err := a.AWS(ctx)
	if err != nil {
		return nil, err
	}
	return &ecsdeploy.Deployer{API: ecs.NewFromConfig(cfg), Out: a.Out}, nil
}

// HelmDeployer is the Helm engine on the environment's cluster.
func (a *Access) HelmDeployer(ctx context.Context) (*helmdeploy.Deployer, error) {
	access, err := a.Cluster(ctx)
	if err != nil {
		return nil, err
	}
	return &helmdeploy.Deployer{Access: access, Out: a.Out}, nil
}

// DeployECS deploys the plan's image to the ECS service. A failed rollout is an *api.FailedError and
// the result says what runs now.
//
// The supply-chain gate runs first, before the deploy lock: a refused artifact makes no mutating
// call at all (no lock written, nothing registered).
//
// One deploy at a time: it holds the deploy lock of the environment's service for its whole run
// (waiting for, or refusing, another deploy's), released on every exit path.
func DeployECS(ctx context.Context, a *Access, p *Plan, noRollback bool) (res api.ECSResult, err error) {
	if _, err := Gate(ctx, a, p.Artifact); err != nil {
		return api.ECSResult{}, err
	}
	d, err := a.ECSDeployer(ctx)
	if err != nil {
		return api.ECSResult{}, err
	}
	req := p.ECS
	req.NoRollback = noRollback
	// The wait, the restore's wait and the diagnosis: the most this deploy can take.
	lease, err := a.lock(ctx, api.ECS, req.Service, p.Artifact.Commit.String(), 2*req.Timeout+5*time.Minute)
	if err != nil {
		return api.ECSResult{}, err
	}
	defer releaseLock(ctx, a, lease, &err)
	return d.Deploy(ctx, req)
}

// DeployEKS applies a prepared Helm deploy (Plan.PrepareEKS: rendered once, before the cluster is
// touched). A failed rollout is an *api.FailedError and the result says what runs now.
//
// The supply-chain gate runs first, before the deploy lock: a refused artifact makes no mutating
// call at all (no lock written, no Helm release touched).
//
// One deploy at a time: it holds the deploy lock of the environment's release for its whole run
// (waiting for, or refusing, another deploy's), released on every exit path.
func DeployEKS(ctx context.Context, a *Access, art *artifact.Artifact, prepared *helmdeploy.Prepared, failFast helmdeploy.FailFast) (res api.EKSResult, err error) {
	if _, err := Gate(ctx, a, art); err != nil {
		return api.EKSResult{}, err
	}
	d, err := a.HelmDeployer(ctx)
	if err != nil {
		return api.EKSResult{}, err
	}
	d.FailFast = failFast
	lease, err := a.lock(ctx, api.EKS, prepared.Request.Release, prepared.Request.Image.BuildVersion, helmdeploy.HelmBudget(prepared.Request.Timeout)+time.Minute)
	if err != nil {
		return api.EKSResult{}, err
	}
	defer releaseLock(ctx, a, lease, &err)
	res, err = d.Apply(ctx, prepared)
	return res, a.explainCluster(ctx, err)
}

// Verify checks that what runs on the targets is the plan's digest: ECS tasks and the release's pods.
// selector "" means the release's instance label.
func Verify(ctx context.Context, a *Access, p *Plan, targets []api.Target, selector string) (api.VerifyReport, error) {
	report := api.VerifyReport{Digest: p.Artifact.Digest(), Checks: []api.Check{}, Problems: []string{}}
	for _, t := range targets {
		switch t {
		case api.ECS:
			cfg, err := a.AWS(ctx)
			if err != nil {
				return report, err
			}
			r, err := verify.ECS(ctx, ecs.NewFromConfig(cfg), p.ECS.Cluster, p.ECS.Service, p.ECS.Container, p.Artifact.Image)
			if err != nil {
				return report, err
			}
			report.Merge(r)
		case api.EKS:
			access, err := a.Cluster(ctx)
			if err != nil {
				return report, err
			}
			rc, err := access.ToRESTConfig()
			if err != nil {
				return report, err
			}
			cs, err := kubernetes.NewForConfig(rc)
			if err != nil {
				return report, err
			}
			sel := selector
			if sel == "" {
				sel = p.Selector
			}
			r, err := verify.Pods(ctx, cs, p.EKS.Namespace, sel, p.Artifact.Image)
			if err != nil {
				return report, a.explainCluster(ctx, err)
			}
			report.Merge(r)
		default:
			return report, fmt.Errorf("verify: unknown target %q (ecs or eks)", t)
		}
	}
	// Whether each digest that runs is signed and attested under the environment's trust policy.
	decisions, err := runningDecisions(ctx, a, p.Artifact, report.Checks)
	if err != nil {
		return report, err
	}
	for _, d := range decisions {
		report.SupplyChain = append(report.SupplyChain, d)
		if !d.Allowed {
			report.Problem("%s runs but is not signed and attested under the trust policy of %s: %s", d.Image, a.Env.Name, d.Summary())
		}
	}
	return report, nil
}

// RollbackECS points the service at an earlier task definition (to: a revision, family:revision or
// ARN; "" = the previous ACTIVE one) and waits.
func RollbackECS(ctx context.Context, a *Access, to string, timeout time.Duration) (api.ECSRollback, error) {
	d, err := a.ECSDeployer(ctx)
	if err != nil {
		return api.ECSRollback{}, err
	}
	if timeout <= 0 {
		timeout = a.Env.ECS.Timeout.Duration
	}
	return d.Rollback(ctx, ecsdeploy.RollbackRequest{Cluster: a.Env.ECS.Cluster, Service: a.Env.ECS.Service, To: to, Timeout: timeout})
}

// RollbackEKS rolls the Helm release back (to: a revision; 0 = the previous successful one) and waits.
func RollbackEKS(ctx context.Context, a *Access, to int, timeout time.Duration) (api.EKSRollback, error) {
	d, err := a.HelmDeployer(ctx)
	if err != nil {
		return api.EKSRollback{}, err
	}
	if timeout <= 0 {
		timeout = a.Env.EKS.Timeout.Duration
	}
	res, err := d.Rollback(ctx, helmdeploy.RollbackRequest{Release: a.Env.EKS.Release, Namespace: a.Env.EKS.Namespace, To: to, Timeout: timeout})
	return res, a.explainCluster(ctx, err)
}
