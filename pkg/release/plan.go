package release

import (
	"context"
	"errors"
	"fmt"
	"time"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/ecsdeploy"
	"github.com/platformteam/delivery/pkg/environment"
	"github.com/platformteam/delivery/pkg/helmdeploy"
	"github.com/platformteam/delivery/pkg/verify"
)

// Options adjust For.
type Options struct {
	// Promote accepts an artifact whose image lies in another registry or repository: the plan then
	// deploys the same digest in the environment's repository, after Promote copied it there. Without
	// it such an artifact is refused.
	Promote bool
	// Chart overrides eks.chart (a chart directory).
	Chart string
	// ECSTimeout and EKSTimeout override ecs.timeout and eks.timeout.
	ECSTimeout, EKSTimeout time.Duration
}

// Plan is the work of one release of one artifact into one environment, decided without touching
// anything: the ECS and Helm requests, and what verify checks.
type Plan struct {
	Env *environment.Environment
	// Artifact is what is deployed: always an image in the environment's repository.
	Artifact *artifact.Artifact
	// Source is the artifact as given when it must be promoted first (its image lies elsewhere); nil
	// when the image is already in the environment's repository.
	Source *artifact.Artifact
	ECS    ecsdeploy.Request
	EKS    helmdeploy.Request
	// Selector finds the release's pods for verify.
	Selector string
}

// ErrOutsideRepository is returned (wrapped) for an artifact whose image is not in the environment's
// repository, when it is not being promoted.
var ErrOutsideRepository = errors.New("the artifact's image lies outside the environment's repository")

// For plans the release of art into env. An image outside the environment's registry and repository
// is refused unless opts.Promote is set (then the plan deploys its copy).
func For(env *environment.Environment, art *artifact.Artifact, opts Options) (*Plan, error) {
	if art == nil {
		return nil, errors.New("no artifact: pass --artifact (artifact.json from publish, or from the environment promoted from)")
	}
	repo := Repository(env)
	p := &Plan{Env: env, Artifact: art}
	if art.Repository() != repo {
		if !opts.Promote {
			return nil, fmt.Errorf("%w: %s is not in %s (environment %s): deploy only images of the environment's own repository; "+
				"promote it first (dagger call deploy --env %s --artifact artifact.json copies it by digest; or release image promote)",
				ErrOutsideRepository, art.Ref(), repo, env.Name, env.Name)
		}
		promoted, err := art.Promoted(repo)
		if err != nil {
			return nil, fmt.Errorf("promote %s to %s: %w", art.Ref(), repo, err)
		}
		p.Source, p.Artifact = art, promoted
	}
	ecsTimeout, eksTimeout := env.ECS.Timeout.Duration, env.EKS.Timeout.Duration
	if opts.ECSTimeout > 0 {
		ecsTimeout = opts.ECSTimeout
	}
	if opts.EKSTimeout > 0 {
		eksTimeout = opts.EKSTimeout
	}
	p.ECS = ecsdeploy.Request{Cluster: env.ECS.Cluster, Service: env.ECS.Service, Container: env.ECS.Container,
		Image: p.Artifact.Image, Timeout: ecsTimeout, Strategy: ECSStrategy(env.ECS.Deployment)}
	chart := env.Path(env.EKS.Chart)
	if opts.Chart != "" {
		chart = opts.Chart
	}
	var values []string
	for _, v := range env.EKS.ValuesFiles {
		values = append(values, env.Path(v))
	}
	p.EKS = helmdeploy.Request{Release: env.EKS.Release, Namespace: env.EKS.Namespace, Chart: chart, ValuesFiles: values,
		Image:   helmdeploy.ImageValues{Image: p.Artifact.Image, BuildVersion: p.Artifact.BuildVersion},
		Timeout: eksTimeout}
	p.Selector = verify.ReleaseSelector(env.EKS.Release)
	return p, nil
}

// PrepareEKS checks the Helm deploy without the cluster (chart loads, values compose, the chart
// renders). The deploy applies exactly what was rendered here: the chart is rendered once.
func (p *Plan) PrepareEKS(ctx context.Context) (*helmdeploy.Prepared, error) {
	return helmdeploy.Prepare(ctx, p.EKS)
}

// ECSStrategy is the deploy's strategy from delivery.yaml's ecs.deployment (nil when the section is
// absent: the service keeps the deployment configuration its stack gave it).
func ECSStrategy(d environment.ECSDeployment) *ecsdeploy.Strategy {
	if d.Strategy == "" && d.BakeTimeMinutes == nil && len(d.Alarms) == 0 {
		return nil
	}
	minutes := func(v *int) *int32 {
		if v == nil {
			return nil
		}
		m := int32(*v)
		return &m
	}
	s := &ecsdeploy.Strategy{Kind: ecstypes.DeploymentStrategy(d.EffectiveStrategy()), StepPercent: d.StepPercent,
		StepIntervalMinutes: minutes(d.StepIntervalMinutes), BakeTimeMinutes: minutes(d.BakeTimeMinutes), Alarms: d.Alarms,
		TargetGroup: d.LoadBalancer.TargetGroup, AlternateTargetGroup: d.LoadBalancer.AlternateTargetGroup,
		ProductionListenerRule: d.LoadBalancer.ProductionListenerRule, TestListenerRule: d.LoadBalancer.TestListenerRule,
		RoleARN: d.LoadBalancer.RoleARN}
	for _, h := range d.Hooks {
		s.Hooks = append(s.Hooks, ecsdeploy.Hook{Stages: h.Stages, Lambda: h.Lambda, RoleARN: h.RoleARN})
	}
	return s
}
