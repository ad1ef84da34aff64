// Package helmdeploy deploys the artifact's digest to Kubernetes with the Helm SDK (no helm binary):
// render first (client-side, so a broken chart never touches the cluster), self-heal release states
// that block upgrades, `upgrade --install` with atomic + wait, and fail fast while waiting when a new
// pod can never start, so the atomic rollback begins in seconds instead of after the full timeout.
package helmdeploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/kube"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/platformteam/delivery/pkg/release/api"
)

// Request is one deploy.
type Request struct {
	Release   string
	Namespace string
	// Chart is the chart directory or archive; ValuesFiles are applied in order.
	Chart       string
	ValuesFiles []string
	Image       ImageValues
	Timeout     time.Duration
	// PendingThreshold is how old a pending-* release must be before it counts as stuck (default 10m).
	PendingThreshold time.Duration
	// MaxHistory bounds the revisions Helm keeps (default 10).
	MaxHistory int
	// Force upgrades even when the deployed revision already has this chart and these values.
	Force bool
}

// Deployer runs Helm actions against one cluster.
type Deployer struct {
	Access *ClusterAccess
	// Out receives progress lines (io.Discard when nil).
	Out      io.Writer
	FailFast FailFast
	// Now is the clock for the pending-release threshold (time.Now when nil).
	Now func() time.Time
	// Debug receives Helm's own log lines when set.
	Debug io.Writer
}

func (d *Deployer) out() io.Writer {
	if d.Out == nil {
		return io.Discard
	}
	return d.Out
}

// configuration builds Helm's action configuration (release storage in Secrets) with the fail-fast wait.
func (d *Deployer) configuration(namespace string) (*action.Configuration, error) {
	cfg := new(action.Configuration)
	logf := func(format string, v ...any) {
		if d.Debug != nil {
			fmt.Fprintf(d.Debug, "helm: "+format+"\n", v...)
		}
	}
	if err := cfg.Init(d.Access, namespace, "secret", logf); err != nil {
		return nil, fmt.Errorf("set up Helm for %s: %w", d.Access.Source, err)
	}
	kc, ok := cfg.KubeClient.(*kube.Client)
	if !ok {
		return nil, fmt.Errorf("unexpected Helm kube client %T", cfg.KubeClient)
	}
	rc, err := d.Access.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for %s: %w", d.Access.Source, err)
	}
	if err := kc.IsReachable(); err != nil {
		return nil, fmt.Errorf("cluster unreachable through %s: %w (check the kubeconfig, the cluster endpoint and the credentials)", d.Access.Source, err)
	}
	cfg.KubeClient = &failFastClient{Client: kc, clientset: cs, policy: d.FailFast.withDefaults(), out: d.out()}
	return cfg, nil
}

func (r *Request) validate() error {
	var errs []error
	if err := chartutil.ValidateReleaseName(r.Release); err != nil {
		errs = append(errs, fmt.Errorf("release name %q: %w", r.Release, err))
	}
	if r.Namespace == "" {
		errs = append(errs, errors.New("namespace is required (eks.namespace in delivery.yaml)"))
	}
	if r.Chart == "" {
		errs = append(errs, errors.New("chart is required (eks.chart in delivery.yaml)"))
	}
	if r.Timeout <= 0 {
		errs = append(errs, errors.New("timeout must be positive"))
	}
	if err := r.Image.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Prepared is a deploy checked without the cluster: the chart loaded, the values composed and the
// manifest rendered client-side. A deploy renders once: Prepare, then Apply.
type Prepared struct {
	Request Request
	Chart   *chart.Chart
	Values  map[string]any
	// Manifest is the rendered chart (what Helm will send).
	Manifest string
}

// Prepare does everything that can fail without a cluster: validate the request, load the chart,
// compose the values (a missing values file fails here) and render client-side (a broken chart fails
// here, with nothing sent to the cluster).
func Prepare(ctx context.Context, req Request) (*Prepared, error) {
	if req.PendingThreshold <= 0 {
		req.PendingThreshold = 10 * time.Minute
	}
	if req.MaxHistory <= 0 {
		req.MaxHistory = 10
	}
	if err := req.validate(); err != nil {
		return nil, fmt.Errorf("eks deploy: %w", err)
	}
	ch, err := LoadChart(req.Chart)
	if err != nil {
		return nil, err
	}
	vals, err := ComposeValues(req.ValuesFiles, req.Image)
	if err != nil {
		return nil, err
	}
	manifest, err := Render(ctx, ch, vals, req.Release, req.Namespace)
	if err != nil {
		return nil, err
	}
	return &Prepared{Request: req, Chart: ch, Values: vals, Manifest: manifest}, nil
}

// Deploy prepares and applies: render, heal, install or upgrade (atomic, wait, fail-fast).
func (d *Deployer) Deploy(ctx context.Context, req Request) (api.EKSResult, error) {
	p, err := Prepare(ctx, req)
	if err != nil {
		return api.EKSResult{}, err
	}
	return d.Apply(ctx, p)
}

// Apply heals the release, then installs or upgrades it with the prepared chart and values (atomic,
// wait, fail-fast). A failed rollout returns an *api.FailedError; the result is returned in every case.
func (d *Deployer) Apply(ctx context.Context, p *Prepared) (api.EKSResult, error) {
	start := time.Now()
	req, ch, vals := p.Request, p.Chart, p.Values
	fmt.Fprintf(d.out(), "chart %s %s renders with %d values file(s)\n", ch.Name(), ch.Metadata.Version, len(req.ValuesFiles))

	cfg, err := d.configuration(req.Namespace)
	if err != nil {
		return api.EKSResult{}, err
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	res := api.EKSResult{Release: req.Release, Namespace: req.Namespace, Chart: filepath.Base(req.Chart), ChartVersion: ch.Metadata.Version,
		Image: req.Image.Image.String(), Healed: []string{}}
	healed, err := healer{cfg: cfg, out: d.out(), now: now, threshold: req.PendingThreshold, timeout: req.Timeout}.heal(req.Release)
	if err != nil {
		return res, err
	}
	res.Healed = append(res.Healed, healed...)
	res.OldRevision = deployedRevision(cfg, req.Release)
	if dep, err := cfg.Releases.Deployed(req.Release); err == nil && dep != nil {
		res.PreviousImage = imageOf(dep.Config)
	}
	if dep, err := cfg.Releases.Deployed(req.Release); err == nil && !req.Force && sameAsDeployed(dep, ch, vals) {
		res.Action, res.Outcome = "none", api.Unchanged
		res.NewRevision, res.CurrentRevision = dep.Version, dep.Version
		res.Seconds = time.Since(start).Seconds()
		fmt.Fprintf(d.out(), "release %s: revision %d already runs %s with this chart and these values; nothing to do\n", req.Release, dep.Version, res.Image)
		return res, nil
	}

	var rel *release.Release
	_, histErr := cfg.Releases.History(req.Release)
	// Helm's own context handling would let its wait goroutine record a second outcome after an
	// atomic rollback, so a cancelled deploy still runs its wait and rollback (each bounded by the
	// timeout, every API request by the access's request timeout). Helm's context only carries a
	// backstop deadline, past anything a healthy run takes, so no action can hang forever.
	helmCtx, cancelHelm := context.WithTimeout(context.WithoutCancel(ctx), HelmBudget(req.Timeout))
	defer cancelHelm()
	if errors.Is(histErr, driver.ErrReleaseNotFound) {
		res.Action = "install"
		in := action.NewInstall(cfg)
		in.ReleaseName, in.Namespace = req.Release, req.Namespace
		if ff, ok := cfg.KubeClient.(*failFastClient); ok {
			in.CreateNamespace = createNamespace(ctx, ff.clientset, req.Namespace)
		}
		in.Atomic, in.Wait, in.Timeout = true, true, req.Timeout
		fmt.Fprintf(d.out(), "installing release %s in namespace %s (%s, timeout %s)\n", req.Release, req.Namespace, res.Image, req.Timeout)
		rel, err = in.RunWithContext(helmCtx, ch, vals)
	} else {
		res.Action = "upgrade"
		up := action.NewUpgrade(cfg)
		up.Namespace, up.Atomic, up.Wait, up.Timeout = req.Namespace, true, true, req.Timeout
		up.ResetValues, up.MaxHistory, up.CleanupOnFail = true, req.MaxHistory, true
		fmt.Fprintf(d.out(), "upgrading release %s from revision %d (%s, timeout %s)\n", req.Release, res.OldRevision, res.Image, req.Timeout)
		rel, err = up.RunWithContext(helmCtx, req.Release, ch, vals)
	}
	res.CurrentRevision = deployedRevision(cfg, req.Release)
	res.Seconds = time.Since(start).Seconds()
	if err != nil && rel == nil {
		// Helm refused before recording a revision (e.g. a name conflict): nothing changed.
		return res, fmt.Errorf("%s of release %s refused before any change: %w", res.Action, req.Release, err)
	}
	res.NewRevision = rel.Version
	if err != nil {
		res.Reason = err.Error()
		if ff, ok := cfg.KubeClient.(*failFastClient); ok && !ff.diagnosis.Empty() {
			res.Diagnosis = ff.diagnosis
			for _, line := range res.Diagnosis.Lines() {
				fmt.Fprintf(d.out(), "  why: %s\n", line)
			}
		}
		rolledBack := restored(cfg, req.Release, res.Action, res.NewRevision)
		res.Outcome = api.Failed
		if rolledBack {
			res.Outcome = api.RolledBack
			fmt.Fprintf(d.out(), "release %s: revision %d failed; rolled back, deployed revision %d → %d\n", req.Release, res.NewRevision, res.OldRevision, res.CurrentRevision)
		}
		return res, failed(res, err)
	}
	res.Outcome = api.Deployed
	fmt.Fprintf(d.out(), "release %s: revision %d → %d (%s) in %.1fs\n", req.Release, res.OldRevision, res.NewRevision, res.Image, res.Seconds)
	return res, nil
}

// imageOf is repository@digest from a release's values (what this engine sets), "" when absent.
func imageOf(values map[string]any) string {
	img, _ := values["image"].(map[string]any)
	repo, _ := img["repository"].(string)
	digest, _ := img["digest"].(string)
	if repo == "" || digest == "" {
		return ""
	}
	return repo + "@" + digest
}

// failed is the error of a deploy whose rollout failed, from its result.
func failed(res api.EKSResult, cause error) *api.FailedError {
	e := &api.FailedError{Target: api.EKS, Outcome: res.Outcome, Cause: cause,
		Running: fmt.Sprintf("release %s at helm revision %s", res.Release, orNone(res.CurrentRevision))}
	if res.Outcome == api.Failed {
		e.Hint = "run `release eks rollback` (or deploy a fixed version) once the cause is fixed"
	}
	return e
}

func orNone(rev int) string {
	if rev == 0 {
		return "(none)"
	}
	return fmt.Sprint(rev)
}

// restored reports whether the failed deploy left the release as it was before: a failed install was
// uninstalled, or a failed upgrade was followed by a deployed rollback revision.
func restored(cfg *action.Configuration, name, act string, failedRevision int) bool {
	last, err := cfg.Releases.Last(name)
	if act == "install" {
		return errors.Is(err, driver.ErrReleaseNotFound) || (err == nil && last == nil)
	}
	return err == nil && last != nil && last.Version > failedRevision && last.Info.Status == release.StatusDeployed
}

// deployedRevision is the revision currently in status deployed (0 when none).
func deployedRevision(cfg *action.Configuration, name string) int {
	rel, err := cfg.Releases.Deployed(name)
	if err != nil || rel == nil {
		return 0
	}
	return rel.Version
}

// createNamespace says whether an install creates its namespace: only when the cluster says it does
// not exist. An existing namespace is the app stack's (modules/eks-app), and a deploy identity scoped
// to it (an EKS access policy on the namespace) may not create namespaces at the cluster scope, which
// Helm's create-if-missing does even when the namespace exists; a namespace the identity may not read
// is left alone too (the install then names what is missing).
func createNamespace(ctx context.Context, cs kubernetes.Interface, namespace string) bool {
	_, err := cs.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	return apierrors.IsNotFound(err)
}
