package main

import (
	"bytes"
	"context"
	"dagger/delivery/internal/dagger"
	"dagger/delivery/render"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/platformteam/delivery/pkg/artifact"
	"github.com/platformteam/delivery/pkg/pipeline"
)

// The whole pipeline: (optionally) apply the infrastructure, build the image once, publish it,
// deploy the same digest to ECS and to EKS, verify what runs, and print what changed — stacks, digest,
// task definition old → new, Helm revision old → new, and each step's duration.
// +cache="never"
func (m *Delivery) Deploy(
	ctx context.Context,
	// Environment under environments/.
	env string,
	// Apply the Terraform stacks first (production: only with --infra-bundle and --approve).
	// +optional
	infra bool,
	// The reviewed plan bundle to apply with --infra (the directory `plan` returned).
	// +optional
	infraBundle *dagger.Directory,
	// Confirm applying the reviewed bundle to a production environment.
	// +optional
	approve bool,
	// text, markdown or json.
	// +default="text"
	format string,
) (string, error) {
	if err := render.Format(format).Check(); err != nil {
		return "", err
	}
	e, err := m.environment(ctx, env)
	if err != nil {
		return "", err
	}
	if _, err := m.commit(ctx); err != nil {
		return "", err
	}
	run := pipeline.New(e.Name)
	fail := func(err error) (string, error) {
		return "", fmt.Errorf("%w\n\n%s", err, run.Text())
	}

	if infra {
		err := run.Step("infra", func() (string, bool, error) {
			var log bytes.Buffer
			s, err := m.applyInfra(ctx, e, infraBundle, approve, &log)
			if err != nil {
				return "", false, err
			}
			run.Stacks = render.StackChanges(s)
			changed := 0
			for _, st := range s.Stacks {
				if st.HasChanges() {
					changed++
				}
			}
			if !s.OK() {
				return fmt.Sprintf("%d stacks failed", s.Count("failed")), changed > 0, fmt.Errorf("apply failed:\n%s\n%s", s.Markdown(), log.String())
			}
			return fmt.Sprintf("%d of %d stacks changed", changed, len(s.Stacks)), changed > 0, nil
		})
		if err != nil {
			return fail(err)
		}
	} else {
		run.Skip("infra", "not requested (--infra)")
	}

	var art string
	if err := run.Step("publish", func() (string, bool, error) {
		var err error
		if art, err = m.publish(ctx, e); err != nil {
			return "", false, err
		}
		a, err := artifact.Parse([]byte(art))
		if err != nil {
			return "", false, err
		}
		run.Image = &pipeline.Image{Ref: a.Ref(), Digest: a.Digest, CommitSHA: a.CommitSHA}
		return a.Ref(), true, nil
	}); err != nil {
		return fail(err)
	}
	artFile := dag.Directory().WithNewFile("artifact.json", art).File("artifact.json")

	if err := run.Step("deploy-ecs", func() (string, bool, error) {
		r, err := m.deployECS(ctx, e, artFile)
		changed := r.Outcome != "unchanged"
		ro := pipeline.Rollout{Target: "ecs", What: "task definition", Old: r.Previous, New: r.Running, Changed: changed && err == nil}
		if r.New != "" && err == nil {
			ro.New = r.New
		}
		run.Rollouts = append(run.Rollouts, ro)
		return strings.TrimSpace(render.ECSLine(r)), changed, err
	}); err != nil {
		run.Skip("deploy-eks", "deploy-ecs failed")
		return fail(err)
	}

	if err := run.Step("deploy-eks", func() (string, bool, error) {
		r, err := m.deployEKS(ctx, e, artFile)
		changed := r.Outcome != "unchanged"
		run.Rollouts = append(run.Rollouts, pipeline.Rollout{Target: "eks", What: "helm revision",
			Old: render.Revision(r.Old), New: render.Revision(max(r.New, r.Current)), Changed: changed && err == nil})
		return strings.TrimSpace(render.HelmLine(r)), changed, err
	}); err != nil {
		return fail(err)
	}

	if err := run.Step("verify", func() (string, bool, error) {
		line, err := m.verify(ctx, e, artFile)
		run.Verified = err == nil
		return strings.TrimSpace(line), true, err // a check: ok or failed, never "no change"
	}); err != nil {
		return fail(err)
	}

	switch format {
	case string(render.FormatMarkdown):
		return run.Markdown(), nil
	case string(render.FormatJSON):
		rep := run.Report()
		rep.Outputs["artifact"] = strings.TrimSpace(art)
		b, err := json.MarshalIndent(rep, "", "  ")
		return string(b) + "\n", err
	default:
		return run.Text(), nil
	}
}
