package helmdeploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"

	"github.com/platformteam/delivery/pkg/release/api"
)

// RollbackRequest names the release and, optionally, the revision to restore (0: the previous one).
type RollbackRequest struct {
	Release   string
	Namespace string
	To        int
	Timeout   time.Duration
}

// Rollback restores an earlier revision and waits for it (fail-fast applies). The target is checked
// against the history before anything changes.
func (d *Deployer) Rollback(_ context.Context, req RollbackRequest) (api.EKSRollback, error) {
	start := time.Now()
	if req.Release == "" || req.Namespace == "" || req.Timeout <= 0 {
		return api.EKSRollback{}, errors.New("eks rollback: release, namespace and a positive timeout are required")
	}
	cfg, err := d.configuration(req.Namespace)
	if err != nil {
		return api.EKSRollback{}, err
	}
	hist, err := cfg.Releases.History(req.Release)
	if errors.Is(err, driver.ErrReleaseNotFound) || (err == nil && len(hist) == 0) {
		return api.EKSRollback{}, fmt.Errorf("release %s not found in namespace %s: nothing to roll back", req.Release, req.Namespace)
	}
	if err != nil {
		return api.EKSRollback{}, fmt.Errorf("read history of %s: %w", req.Release, err)
	}
	res := api.EKSRollback{Release: req.Release, From: deployedRevision(cfg, req.Release)}
	target := req.To
	if target == 0 {
		// The newest successful revision older than the deployed one.
		for _, r := range sortedDesc(hist) {
			if r.Version < res.From && (r.Info.Status == release.StatusSuperseded || r.Info.Status == release.StatusDeployed) {
				target = r.Version
				break
			}
		}
		if target == 0 {
			return res, fmt.Errorf("release %s has no successful revision before %d: pass --to <revision> (see `release eks history`)", req.Release, res.From)
		}
	}
	found := false
	for _, r := range hist {
		found = found || r.Version == target
	}
	if !found {
		return res, fmt.Errorf("release %s has no revision %d (see `release eks history`)", req.Release, target)
	}
	res.Target = target
	rb := action.NewRollback(cfg)
	rb.Version, rb.Wait, rb.Timeout, rb.CleanupOnFail, rb.MaxHistory = target, true, req.Timeout, true, 10
	fmt.Fprintf(d.out(), "rolling back release %s to revision %d (deployed now: %d)\n", req.Release, target, res.From)
	if err := rb.Run(req.Release); err != nil {
		return res, fmt.Errorf("roll back %s to revision %d: %w", req.Release, target, err)
	}
	res.To = deployedRevision(cfg, req.Release)
	res.Seconds = time.Since(start).Seconds()
	fmt.Fprintf(d.out(), "release %s: revision %d → %d (content of revision %d)\n", req.Release, res.From, res.To, target)
	return res, nil
}

// Revision is one line of a release's history (the typed contract's EKSRevision).
type Revision = api.EKSRevision

// History lists the release's revisions, newest first.
func (d *Deployer) History(_ context.Context, release, namespace string) ([]Revision, error) {
	cfg, err := d.configuration(namespace)
	if err != nil {
		return nil, err
	}
	hist, err := cfg.Releases.History(release)
	if errors.Is(err, driver.ErrReleaseNotFound) || (err == nil && len(hist) == 0) {
		return nil, fmt.Errorf("release %s not found in namespace %s", release, namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", release, err)
	}
	var out []Revision
	for _, r := range sortedDesc(hist) {
		rev := Revision{Revision: r.Version, Status: r.Info.Status.String(), Updated: r.Info.LastDeployed.Time, Description: r.Info.Description,
			Image: imageOf(r.Config)}
		if r.Chart != nil && r.Chart.Metadata != nil {
			rev.Chart = r.Chart.Metadata.Name + "-" + r.Chart.Metadata.Version
			rev.AppVersion = r.Chart.Metadata.AppVersion
		}
		out = append(out, rev)
	}
	return out, nil
}

func sortedDesc(hist []*release.Release) []*release.Release {
	out := append([]*release.Release(nil), hist...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Version > out[j-1].Version; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
