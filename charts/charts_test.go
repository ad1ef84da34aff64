package charts

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

const (
	chartDir  = "demo-app"
	release   = "demo-app"
	namespace = "demo"
)

// rendered is one render of the chart, decoded.
type rendered struct {
	deployment     *appsv1.Deployment
	service        *corev1.Service
	serviceAccount *corev1.ServiceAccount
	hpa            *autoscalingv2.HorizontalPodAutoscaler
	pdb            *policyv1.PodDisruptionBudget
	ingress        *networkingv1.Ingress
	// externalSecrets by metadata.name (<release> for secrets, <release>-params for parameters).
	externalSecrets map[string]map[string]any
	kinds           []string
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := loader.LoadDir(chartDir)
	if err != nil {
		t.Fatalf("load chart %s: %v", chartDir, err)
	}
	return c
}

// mergeValues overlays src on dst the way `helm -f a.yaml -f b.yaml` does: maps merge, everything else replaces.
func mergeValues(dst, src map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := out[k].(map[string]any); ok {
				out[k] = mergeValues(dm, sm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

func readValues(t *testing.T, files ...string) map[string]any {
	t.Helper()
	vals := map[string]any{}
	for _, f := range files {
		v, err := chartutil.ReadValuesFile(f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		vals = mergeValues(vals, v.AsMap())
	}
	return vals
}

func renderChart(c *chart.Chart, user map[string]any) (map[string]string, error) {
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = chartutil.KubeVersion{Version: "v1.31.0", Major: "1", Minor: "31"}
	vals, err := chartutil.ToRenderValues(c, user, chartutil.ReleaseOptions{
		Name: release, Namespace: namespace, Revision: 1, IsInstall: true,
	}, caps)
	if err != nil {
		return nil, err
	}
	return engine.Render(c, vals)
}

func decode(t *testing.T, files map[string]string) rendered {
	t.Helper()
	var r rendered
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		if !strings.HasSuffix(name, ".yaml") {
			continue
		}
		for _, doc := range releaseutil.SplitManifests(files[name]) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var meta struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
				t.Fatalf("%s: not YAML: %v\n%s", name, err, doc)
			}
			r.kinds = append(r.kinds, meta.Kind)
			into := func(v any) {
				if err := yaml.UnmarshalStrict([]byte(doc), v); err != nil {
					t.Fatalf("%s: %s does not decode strictly: %v\n%s", name, meta.Kind, err, doc)
				}
			}
			switch meta.Kind {
			case "Deployment":
				r.deployment = &appsv1.Deployment{}
				into(r.deployment)
			case "Service":
				r.service = &corev1.Service{}
				into(r.service)
			case "ServiceAccount":
				r.serviceAccount = &corev1.ServiceAccount{}
				into(r.serviceAccount)
			case "HorizontalPodAutoscaler":
				r.hpa = &autoscalingv2.HorizontalPodAutoscaler{}
				into(r.hpa)
			case "PodDisruptionBudget":
				r.pdb = &policyv1.PodDisruptionBudget{}
				into(r.pdb)
			case "Ingress":
				r.ingress = &networkingv1.Ingress{}
				into(r.ingress)
			case "ExternalSecret":
				es := map[string]any{}
				into(&es)
				if r.externalSecrets == nil {
					r.externalSecrets = map[string]map[string]any{}
				}
				r.externalSecrets[es["metadata"].(map[string]any)["name"].(string)] = es
			default:
				t.Fatalf("%s: unexpected kind %q", name, meta.Kind)
			}
		}
	}
	sort.Strings(r.kinds)
	return r
}

// deploymentValues are what the release engine adds on the command line for every deploy.
var deploymentValues = map[string]any{
	"image":        map[string]any{"tag": "0a1b2c3"},
	"buildVersion": "0a1b2c3",
}

// scenario is a values-file combination the chart must render, and what it must produce.
type scenario struct {
	files []string
	check func(t *testing.T, r rendered)
}

func scenarios() map[string]scenario {
	return map[string]scenario{
		"values.yaml": {files: nil, check: func(t *testing.T, r rendered) {
			c := appContainer(t, r)
			wantResource(t, c.Resources.Requests, "300m", "256Mi")
			wantResource(t, c.Resources.Limits, "600m", "512Mi")
			wantHPA(t, r, 2, 6, 65)
			wantPDB(t, r, 1)
			wantSpread(t, r, true, "ScheduleAnyway")
			if r.ingress != nil || r.externalSecrets != nil {
				t.Fatal("ingress and external secret must be off by default")
			}
		}},
		"values-local.yaml": {files: []string{"values-local.yaml"}, check: func(t *testing.T, r rendered) {
			if r.hpa != nil || r.ingress != nil || r.externalSecrets != nil {
				t.Fatalf("local must have no HPA, Ingress or ExternalSecret: %v", r.kinds)
			}
			if rep := r.deployment.Spec.Replicas; rep == nil || *rep < 1 || *rep > 2 {
				t.Fatalf("local replicas = %v, want 1-2", rep)
			}
			if len(r.deployment.Spec.Template.Spec.TopologySpreadConstraints) != 0 {
				t.Fatal("local must not spread across zones (the fake node has none)")
			}
			if r.pdb != nil && r.pdb.Spec.MinAvailable.IntValue() >= int(*r.deployment.Spec.Replicas) {
				t.Fatal("local PDB would block every eviction")
			}
			if r.serviceAccount.Annotations["eks.amazonaws.com/role-arn"] != "" {
				t.Fatal("local must not carry an IRSA annotation")
			}
		}},
		"values-development.yaml": {files: []string{"values-development.yaml"}, check: func(t *testing.T, r rendered) {
			wantHPA(t, r, 1, 3, 65)
			if r.pdb != nil {
				t.Fatal("development runs one replica: a PDB would block node drains")
			}
			wantIngress(t, r, "demo-eks.dev.example.com", "demo.dev.example.com")
			wantDNSWeight(t, r, "eks", "100")
			wantIRSA(t, r, "arn:aws:iam::111111111111:role/demo-app-development-irsa")
			wantRuntimeConfig(t, r, "development")
		}},
		"values-staging.yaml": {files: []string{"values-staging.yaml"}, check: func(t *testing.T, r rendered) {
			c := appContainer(t, r)
			wantResource(t, c.Resources.Requests, "300m", "256Mi")
			wantResource(t, c.Resources.Limits, "600m", "512Mi")
			wantHPA(t, r, 2, 6, 65)
			wantPDB(t, r, 1)
			wantIngress(t, r, "demo-eks.staging.example.com", "demo.staging.example.com")
			wantDNSWeight(t, r, "eks", "100")
			wantIRSA(t, r, "arn:aws:iam::222222222222:role/demo-app-staging-irsa")
			wantRuntimeConfig(t, r, "staging")
		}},
		"values-production.yaml": {files: []string{"values-production.yaml"}, check: func(t *testing.T, r rendered) {
			// N+1 across three zones: at least 4 replicas, zone spread enforced, 2 always available.
			wantHPA(t, r, 4, 12, 65)
			wantPDB(t, r, 2)
			wantSpread(t, r, true, "DoNotSchedule")
			wantIngress(t, r, "demo-eks.example.com", "demo.example.com")
			wantDNSWeight(t, r, "eks", "100")
			wantIRSA(t, r, "arn:aws:iam::333333333333:role/demo-app-production-irsa")
			wantRuntimeConfig(t, r, "production")
		}},
		"ci/default-values.yaml": {files: []string{"ci/default-values.yaml"}, check: func(t *testing.T, r rendered) {
			if got := appContainer(t, r).Image; got != "demo-app:0a1b2c3" {
				t.Fatalf("image = %q", got)
			}
		}},
		"ci/digest-values.yaml": {files: []string{"ci/digest-values.yaml"}, check: func(t *testing.T, r rendered) {
			c := appContainer(t, r)
			want := "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/demo-app@sha256:4d2c1f0e9b8a7c6d5e4f30211a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b"
			if c.Image != want || c.ImagePullPolicy != corev1.PullAlways {
				t.Fatalf("image = %q (%s), want %q (Always)", c.Image, c.ImagePullPolicy, want)
			}
		}},
		"ci/full-values.yaml": {files: []string{"ci/full-values.yaml"}, check: func(t *testing.T, r rendered) {
			wantIngress(t, r, "demo.ci.example.com")
			if g := r.ingress.Annotations["alb.ingress.kubernetes.io/group.name"]; g != "shared-public" {
				t.Fatalf("group.name = %q", g)
			}
			wantIRSA(t, r, "arn:aws:iam::123456789012:role/demo-app-ci-irsa")
			wantExternalSecret(t, r, "demo-app", "aws-secrets-manager", "demo-app/ci/", "APP_AUTH_TOKEN", "DB_PASSWORD")
			if _, ok := r.externalSecrets["demo-app-params"]; ok {
				t.Fatal("no parameters listed: no parameter ExternalSecret")
			}
			c := appContainer(t, r)
			if len(c.EnvFrom) != 2 || c.EnvFrom[1].ConfigMapRef == nil || c.EnvFrom[1].ConfigMapRef.Name != "demo-app-extra" {
				t.Fatalf("envFrom = %+v", c.EnvFrom)
			}
			if r.deployment.Spec.Template.Annotations["checksum/external-secret"] == "" {
				t.Fatal("changing the secret list must roll the pods (checksum annotation)")
			}
		}},
		"ci/parameters-only-values.yaml": {files: []string{"ci/parameters-only-values.yaml"}, check: func(t *testing.T, r rendered) {
			if _, ok := r.externalSecrets["demo-app"]; ok || len(r.externalSecrets) != 1 {
				t.Fatalf("want only the parameter ExternalSecret, got %v", r.externalSecrets)
			}
			wantExternalSecret(t, r, "demo-app-params", "aws-parameter-store", "/demo-app/ci/app/", "S3_BUCKET")
			if n := len(appContainer(t, r).EnvFrom); n != 1 {
				t.Fatalf("envFrom has %d sources, want only the parameters Secret", n)
			}
		}},
		"ci/fixed-replicas-values.yaml": {files: []string{"ci/fixed-replicas-values.yaml"}, check: func(t *testing.T, r rendered) {
			if r.hpa != nil || r.pdb != nil {
				t.Fatalf("kinds %v: want no HPA and no PDB", r.kinds)
			}
			if rep := r.deployment.Spec.Replicas; rep == nil || *rep != 3 {
				t.Fatalf("replicas = %v, want 3", rep)
			}
			if len(r.deployment.Spec.Template.Spec.TopologySpreadConstraints) != 0 {
				t.Fatal("topology spread must be off")
			}
		}},
	}
}

// TestEveryValuesFileHasAScenario keeps the scenario table honest: a new values file must be tested.
func TestEveryValuesFileHasAScenario(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(chartDir, "values*.yaml"))
	ci, _ := filepath.Glob(filepath.Join(chartDir, "ci", "*-values.yaml"))
	sc := scenarios()
	for _, f := range append(files, ci...) {
		rel, _ := filepath.Rel(chartDir, f)
		if _, ok := sc[filepath.ToSlash(rel)]; !ok {
			t.Errorf("%s has no scenario in charts_test.go", f)
		}
	}
	if len(files) < 5 || len(ci) < 1 {
		t.Fatalf("expected values.yaml, values-{local,development,staging,production}.yaml and ci scenarios; found %v %v", files, ci)
	}
}

func TestRenderEveryValuesFile(t *testing.T) {
	c := loadChart(t)
	for name, sc := range scenarios() {
		t.Run(name, func(t *testing.T) {
			paths := make([]string, len(sc.files))
			for i, f := range sc.files {
				paths[i] = filepath.Join(chartDir, f)
			}
			user := mergeValues(readValues(t, paths...), deploymentValues)
			// ci scenarios carry their own image settings; keep them.
			if strings.HasPrefix(name, "ci/") {
				user = mergeValues(mergeValues(map[string]any{}, deploymentValues), readValues(t, paths...))
			}
			files, err := renderChart(c, user)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			r := decode(t, files)
			commonInvariants(t, r)
			sc.check(t, r)
		})
	}
}

// commonInvariants hold for every environment.
func commonInvariants(t *testing.T, r rendered) {
	t.Helper()
	if r.deployment == nil || r.service == nil || r.serviceAccount == nil {
		t.Fatalf("Deployment, Service and ServiceAccount are always rendered; got %v", r.kinds)
	}
	d := r.deployment
	if d.Name != release || d.Namespace != "" {
		t.Fatalf("deployment name %q", d.Name)
	}
	pod := d.Spec.Template
	if pod.Annotations["demo-app/build-version"] != "0a1b2c3" {
		t.Fatalf("buildVersion annotation missing: %v", pod.Annotations)
	}
	for k, v := range d.Spec.Selector.MatchLabels {
		if pod.Labels[k] != v {
			t.Fatalf("selector %s=%s does not match the pod labels %v", k, v, pod.Labels)
		}
		if r.service.Spec.Selector[k] != v {
			t.Fatalf("service selector %v does not match the deployment selector", r.service.Spec.Selector)
		}
	}
	if len(r.service.Spec.Selector) != len(d.Spec.Selector.MatchLabels) {
		t.Fatal("service selector differs from the deployment selector")
	}
	if pod.Spec.ServiceAccountName != r.serviceAccount.Name {
		t.Fatalf("pod uses service account %q, chart creates %q", pod.Spec.ServiceAccountName, r.serviceAccount.Name)
	}
	if d.Spec.Strategy.RollingUpdate == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
		t.Fatal("rolling updates must keep every replica available (maxUnavailable 0)")
	}
	psc := pod.Spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Fatalf("pod security context must run as non-root: %+v", psc)
	}
	c := appContainer(t, r)
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Fatalf("container security context: %+v", sc)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			t.Fatalf("env %s uses valueFrom; secrets go through envFrom/ExternalSecret", e.Name)
		}
		env[e.Name] = e.Value
	}
	if env["DEPLOY_PLATFORM"] != "eks" {
		t.Fatalf("DEPLOY_PLATFORM = %q, want eks", env["DEPLOY_PLATFORM"])
	}
	if env["PORT"] != "8080" || len(c.Ports) != 1 || c.Ports[0].ContainerPort != 8080 || c.Ports[0].Name != "http" {
		t.Fatalf("port wiring: env PORT=%q ports=%+v", env["PORT"], c.Ports)
	}
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
		want := "/healthz"
		if name == "readiness" {
			want = "/readyz"
		}
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != want || p.HTTPGet.Port.String() != "http" {
			t.Fatalf("%s probe = %+v, want GET %s on port http", name, p, want)
		}
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Fatal("requests and limits are always set")
	}
	if c.Resources.Limits.Cpu().Cmp(*c.Resources.Requests.Cpu()) < 0 || c.Resources.Limits.Memory().Cmp(*c.Resources.Requests.Memory()) < 0 {
		t.Fatal("limits below requests")
	}
	var tmp bool
	for _, m := range c.VolumeMounts {
		tmp = tmp || m.MountPath == "/tmp"
	}
	if !tmp {
		t.Fatal("a writable /tmp is mounted since the root filesystem is read-only")
	}
	if r.hpa != nil && (r.hpa.Spec.ScaleTargetRef.Name != d.Name || r.hpa.Spec.ScaleTargetRef.Kind != "Deployment") {
		t.Fatalf("HPA targets %+v", r.hpa.Spec.ScaleTargetRef)
	}
	if r.hpa != nil && d.Spec.Replicas != nil {
		t.Fatal("with an HPA the Deployment must not set replicas (each upgrade would reset the scale)")
	}
	if r.pdb != nil {
		// A PDB must leave room for one voluntary disruption at the smallest scale, or drains hang.
		smallest := int32(0)
		if r.hpa != nil {
			smallest = *r.hpa.Spec.MinReplicas
		} else if d.Spec.Replicas != nil {
			smallest = *d.Spec.Replicas
		}
		if int32(r.pdb.Spec.MinAvailable.IntValue()) >= smallest {
			t.Fatalf("PDB minAvailable %d blocks every eviction at %d replicas", r.pdb.Spec.MinAvailable.IntValue(), smallest)
		}
		for k, v := range d.Spec.Selector.MatchLabels {
			if r.pdb.Spec.Selector.MatchLabels[k] != v {
				t.Fatal("PDB selector does not match the pods")
			}
		}
	}
	if r.ingress != nil {
		b := r.ingress.Spec.Rules[0].HTTP.Paths[0].Backend.Service
		if b.Name != r.service.Name || b.Port.Name != "http" {
			t.Fatalf("ingress backend %+v does not point at the service", b)
		}
	}
}

func appContainer(t *testing.T, r rendered) corev1.Container {
	t.Helper()
	cs := r.deployment.Spec.Template.Spec.Containers
	if len(cs) != 1 || cs[0].Name != "demo-app" {
		t.Fatalf("want one container named demo-app, got %d", len(cs))
	}
	return cs[0]
}

func wantResource(t *testing.T, rl corev1.ResourceList, cpu, mem string) {
	t.Helper()
	if rl.Cpu().String() != cpu || rl.Memory().String() != mem {
		t.Fatalf("resources = %s/%s, want %s/%s", rl.Cpu(), rl.Memory(), cpu, mem)
	}
}

func wantHPA(t *testing.T, r rendered, minR, maxR, cpu int32) {
	t.Helper()
	if r.hpa == nil {
		t.Fatalf("no HPA rendered (%v)", r.kinds)
	}
	s := r.hpa.Spec
	if s.MinReplicas == nil || *s.MinReplicas != minR || s.MaxReplicas != maxR {
		t.Fatalf("HPA bounds %v..%d, want %d..%d", s.MinReplicas, s.MaxReplicas, minR, maxR)
	}
	if len(s.Metrics) != 1 || s.Metrics[0].Resource == nil || s.Metrics[0].Resource.Name != corev1.ResourceCPU ||
		s.Metrics[0].Resource.Target.AverageUtilization == nil || *s.Metrics[0].Resource.Target.AverageUtilization != cpu {
		t.Fatalf("HPA metrics %+v, want CPU %d%%", s.Metrics, cpu)
	}
	if s.Behavior == nil || s.Behavior.ScaleDown == nil || *s.Behavior.ScaleDown.StabilizationWindowSeconds != 600 {
		t.Fatal("scale-in must wait 10 minutes")
	}
}

func wantPDB(t *testing.T, r rendered, min int) {
	t.Helper()
	if r.pdb == nil || r.pdb.Spec.MinAvailable == nil || r.pdb.Spec.MinAvailable.IntValue() != min {
		t.Fatalf("PDB = %+v, want minAvailable %d", r.pdb, min)
	}
	if r.hpa != nil && int(*r.hpa.Spec.MinReplicas) <= min {
		t.Fatalf("PDB minAvailable %d leaves no room for disruptions at HPA minimum %d", min, *r.hpa.Spec.MinReplicas)
	}
}

func wantSpread(t *testing.T, r rendered, on bool, zoneMode string) {
	t.Helper()
	tsc := r.deployment.Spec.Template.Spec.TopologySpreadConstraints
	if !on {
		if len(tsc) != 0 {
			t.Fatal("unexpected topology spread")
		}
		return
	}
	for _, c := range tsc {
		if c.TopologyKey == "topology.kubernetes.io/zone" {
			if string(c.WhenUnsatisfiable) != zoneMode || c.MaxSkew != 1 || c.LabelSelector == nil {
				t.Fatalf("zone spread %+v, want %s", c, zoneMode)
			}
			return
		}
	}
	t.Fatal("no spread across zones")
}

func wantDNSWeight(t *testing.T, r rendered, id, weight string) {
	t.Helper()
	a := r.ingress.Annotations
	if a["external-dns.alpha.kubernetes.io/set-identifier"] != id || a["external-dns.alpha.kubernetes.io/aws-weight"] != weight {
		t.Fatalf("weighted DNS annotations %v, want %s/%s", a, id, weight)
	}
}

// wantIngress checks the ALB Ingress: host first, then extra hosts, all routed to the Service and
// all published by ExternalDNS.
func wantIngress(t *testing.T, r rendered, host string, extra ...string) {
	t.Helper()
	hosts := append([]string{host}, extra...)
	if r.ingress == nil {
		t.Fatalf("no Ingress rendered (%v)", r.kinds)
	}
	in := r.ingress
	if in.Spec.IngressClassName == nil || *in.Spec.IngressClassName != "alb" {
		t.Fatal("ingress class must be alb")
	}
	if len(in.Spec.Rules) != len(hosts) {
		t.Fatalf("ingress rules %+v, want hosts %v", in.Spec.Rules, hosts)
	}
	for i, h := range hosts {
		if in.Spec.Rules[i].Host != h {
			t.Fatalf("rule %d host %q, want %q", i, in.Spec.Rules[i].Host, h)
		}
		b := in.Spec.Rules[i].HTTP.Paths[0].Backend.Service
		if b.Name != r.service.Name || b.Port.Name != "http" {
			t.Fatalf("rule %s backend %+v does not point at the service", h, b)
		}
	}
	a := in.Annotations
	if !strings.HasPrefix(a["alb.ingress.kubernetes.io/certificate-arn"], "arn:aws:acm:") {
		t.Fatalf("certificate annotation %q", a["alb.ingress.kubernetes.io/certificate-arn"])
	}
	if a["external-dns.alpha.kubernetes.io/hostname"] != strings.Join(hosts, ",") || a["alb.ingress.kubernetes.io/target-type"] != "ip" ||
		a["alb.ingress.kubernetes.io/healthcheck-path"] != "/readyz" || a["alb.ingress.kubernetes.io/ssl-redirect"] != "443" {
		t.Fatalf("ingress annotations %v", a)
	}
}

func wantIRSA(t *testing.T, r rendered, arn string) {
	t.Helper()
	if got := r.serviceAccount.Annotations["eks.amazonaws.com/role-arn"]; got != arn {
		t.Fatalf("IRSA annotation %q, want %q", got, arn)
	}
	if a := r.deployment.Spec.Template.Spec.AutomountServiceAccountToken; a == nil || !*a {
		t.Fatal("pods with an IRSA role mount the service account token")
	}
}

// wantExternalSecret checks one ExternalSecret: its store, its keys (and remote keys with the given
// prefix), and that the container reads its target Secret through envFrom.
func wantExternalSecret(t *testing.T, r rendered, name, store, remotePrefix string, keys ...string) {
	t.Helper()
	es := r.externalSecrets[name]
	if es == nil {
		t.Fatalf("no ExternalSecret %s rendered (%v)", name, r.kinds)
	}
	spec := es["spec"].(map[string]any)
	ref := spec["secretStoreRef"].(map[string]any)
	if ref["kind"] != "ClusterSecretStore" || ref["name"] != store {
		t.Fatalf("%s secretStoreRef %v, want ClusterSecretStore %s", name, ref, store)
	}
	target := spec["target"].(map[string]any)["name"].(string)
	var got []string
	for _, d := range spec["data"].([]any) {
		entry := d.(map[string]any)
		got = append(got, entry["secretKey"].(string))
		if rk := entry["remoteRef"].(map[string]any)["key"].(string); !strings.HasPrefix(rk, remotePrefix) {
			t.Fatalf("%s: remote key %s outside %s", name, rk, remotePrefix)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(keys) {
		t.Fatalf("%s keys %v, want %v", name, got, keys)
	}
	for _, ef := range appContainer(t, r).EnvFrom {
		if ef.SecretRef != nil && ef.SecretRef.Name == target {
			return
		}
	}
	t.Fatalf("container envFrom %+v does not reference %s's target %q", appContainer(t, r).EnvFrom, name, target)
}

// wantRuntimeConfig: secrets from Secrets Manager and the same SSM parameters ECS reads.
func wantRuntimeConfig(t *testing.T, r rendered, env string) {
	t.Helper()
	wantExternalSecret(t, r, "demo-app", "aws-secrets-manager", "demo-app/"+env+"/", "APP_AUTH_TOKEN")
	wantExternalSecret(t, r, "demo-app-params", "aws-parameter-store", "/demo-app/"+env+"/app/", "S3_BUCKET", "READY_S3_URL")
}

func TestRenderRejectsBadValues(t *testing.T) {
	c := loadChart(t)
	cases := map[string]struct {
		vals map[string]any
		want string
	}{
		"ingress without certificate":  {map[string]any{"ingress": map[string]any{"enabled": true, "host": "a.example.com"}}, "ingress.certificateArn is required"},
		"ingress without host":         {map[string]any{"ingress": map[string]any{"enabled": true, "certificateArn": "arn:aws:acm:x"}}, "ingress.host is required"},
		"secret entry without key":     {map[string]any{"externalSecrets": map[string]any{"enabled": true, "data": []any{map[string]any{"envName": "X"}}}}, "remoteKey"},
		"typo in pull policy":          {map[string]any{"image": map[string]any{"pullPolicy": "Allways"}}, "pullPolicy"},
		"digest without algorithm":     {map[string]any{"image": map[string]any{"digest": "4d2c1f0e"}}, "/image/digest"},
		"min above max":                {map[string]any{"autoscaling": map[string]any{"minReplicas": 7, "maxReplicas": 6}}, "must not exceed"},
		"external secret without data": {map[string]any{"externalSecrets": map[string]any{"enabled": true}}, "at least one entry"},
		"dns weight out of range": {map[string]any{"ingress": map[string]any{"enabled": true, "host": "a.example.com", "certificateArn": "arn:aws:acm:x",
			"dns": map[string]any{"weight": 300}}}, "between 0 and 255"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := renderChart(c, tc.vals)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("render error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestProbeExecOverride(t *testing.T) {
	// The sandbox's failure scenario: a readiness probe that never passes.
	c := loadChart(t)
	files, err := renderChart(c, mergeValues(deploymentValues, map[string]any{
		"probes": map[string]any{"readiness": map[string]any{"exec": []any{"false"}}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	p := appContainer(t, decode(t, files)).ReadinessProbe
	if p.Exec == nil || fmt.Sprint(p.Exec.Command) != "[false]" || p.HTTPGet != nil {
		t.Fatalf("readiness probe %+v", p)
	}
}

func TestLint(t *testing.T) {
	sc := scenarios()
	for name, s := range sc {
		t.Run(name, func(t *testing.T) {
			paths := make([]string, len(s.files))
			for i, f := range s.files {
				paths[i] = filepath.Join(chartDir, f)
			}
			vals := mergeValues(readValues(t, paths...), deploymentValues)
			kv := &chartutil.KubeVersion{Version: "v1.31.0", Major: "1", Minor: "31"}
			res := lint.AllWithKubeVersion(chartDir, vals, namespace, kv)
			for _, m := range res.Messages {
				// Same bar as `helm lint --strict`: warnings and errors fail, infos are reported.
				if m.Severity >= support.WarningSev {
					t.Errorf("lint %s: %s", name, m)
				} else {
					t.Logf("lint %s: %s", name, m)
				}
			}
		})
	}
}
