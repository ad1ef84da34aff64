package helmdeploy

import (
	"fmt"
	"io"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	"helm.sh/helm/v3/pkg/storage/driver"
)

// healer repairs release states that make `helm upgrade --install` refuse to run:
//   - a release stuck in pending-install/upgrade/rollback (a CI job killed mid-deploy) older than the
//     threshold: its last good revision is restored, or it is uninstalled if it never had one;
//   - a release with no deployed revision (a failed first install, or one uninstalled with
//     --keep-history): its history is removed so the install can start clean.
//
// A pending release younger than the threshold is left alone and reported: another deploy may be running.
type healer struct {
	cfg       *action.Configuration
	out       io.Writer
	now       func() time.Time
	threshold time.Duration
	timeout   time.Duration
}

// heal returns what it did (empty when the release was healthy or absent).
func (h healer) heal(name string) ([]string, error) {
	hist, err := action.NewHistory(h.cfg).Run(name)
	if err == driver.ErrReleaseNotFound || len(hist) == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read history of release %s: %w", name, err)
	}
	releaseutil.SortByRevision(hist)
	last := hist[len(hist)-1]
	good := lastGood(hist)

	if last.Info.Status.IsPending() {
		age := h.now().Sub(last.Info.LastDeployed.Time)
		if age < h.threshold {
			return nil, fmt.Errorf("release %s revision %d is %s since %s ago: another deploy may still be running; retry later, or lower --pending-threshold (now %s) if it was killed",
				name, last.Version, last.Info.Status, age.Round(time.Second), h.threshold)
		}
		if good == nil {
			return h.uninstall(name, fmt.Sprintf("revision %d stuck in %s for %s and no revision ever deployed", last.Version, last.Info.Status, age.Round(time.Second)))
		}
		last.SetStatus(release.StatusFailed, fmt.Sprintf("self-healed: stuck in %s for %s", last.Info.Status, age.Round(time.Second)))
		if err := h.cfg.Releases.Update(last); err != nil {
			return nil, fmt.Errorf("mark stuck revision %d of %s failed: %w", last.Version, name, err)
		}
		rb := action.NewRollback(h.cfg)
		rb.Version = good.Version
		rb.Wait = true
		rb.Timeout = h.timeout
		if err := rb.Run(name); err != nil {
			return nil, fmt.Errorf("self-heal of %s: roll back stuck revision %d to %d: %w", name, last.Version, good.Version, err)
		}
		action := fmt.Sprintf("release %s: revision %d was stuck in pending for %s; rolled back to revision %d", name, last.Version, age.Round(time.Second), good.Version)
		fmt.Fprintln(h.out, action)
		return []string{action}, nil
	}
	if good == nil && (last.Info.Status == release.StatusFailed || last.Info.Status == release.StatusUninstalled) {
		return h.uninstall(name, fmt.Sprintf("no revision deployed (last: revision %d %s)", last.Version, last.Info.Status))
	}
	return nil, nil
}

func (h healer) uninstall(name, why string) ([]string, error) {
	u := action.NewUninstall(h.cfg)
	u.KeepHistory = false
	u.Wait = true
	u.Timeout = h.timeout
	if _, err := u.Run(name); err != nil {
		return nil, fmt.Errorf("self-heal of %s (%s): uninstall: %w", name, why, err)
	}
	action := fmt.Sprintf("release %s: %s; uninstalled it so the install starts clean", name, why)
	fmt.Fprintln(h.out, action)
	return []string{action}, nil
}

// lastGood is the newest revision that deployed successfully (deployed or superseded).
func lastGood(hist []*release.Release) *release.Release {
	for i := len(hist) - 1; i >= 0; i-- {
		switch hist[i].Info.Status {
		case release.StatusDeployed, release.StatusSuperseded:
			return hist[i]
		}
	}
	return nil
}
