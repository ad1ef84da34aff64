package blueprintcheck

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/platformteam/delivery/pkg/blueprint"
	"github.com/platformteam/delivery/pkg/environment"
)

// TestEnvironmentFilesAgree: the names one environment's files repeat (account, cluster and service
// names, host names, IAM role names) must agree, so an adopter replacing a placeholder in one file and
// not another fails here rather than at deploy time.
func TestEnvironmentFilesAgree(t *testing.T) {
	for _, name := range realEnvironments {
		t.Run(name, func(t *testing.T) {
			env, err := environment.Load(root(t), name)
			if err != nil {
				t.Fatal(err)
			}
			ov, err := blueprint.LoadOverlay(root(t), name)
			if err != nil {
				t.Fatal(err)
			}
			str := func(key string) string {
				v, ok := ov.Value(key)
				if !ok || v.Value.Type() != cty.String {
					t.Fatalf("%s: %s is not set as a string in any tfvars", name, key)
				}
				return v.Value.AsString()
			}
			project := str("project")
			if want := project + "-" + name; env.ECS.Cluster != want || env.EKS.Cluster != want {
				t.Errorf("clusters %s/%s, want %s (stacks name them <project>-<environment>)", env.ECS.Cluster, env.EKS.Cluster, want)
			}
			if got := str("region"); got != env.Region {
				t.Errorf("tags.tfvars region %s, delivery.yaml %s", got, env.Region)
			}
			if tags, ok := ov.Value("tags"); ok {
				if e := tags.Value.GetAttr("Environment").AsString(); e != name {
					t.Errorf("tags.Environment = %s", e)
				}
			}
			app := env.ECS.Service
			if env.ECS.Container != app || env.EKS.Release != app || env.Image.Repository != app {
				t.Errorf("service %s, container %s, release %s, repository %s: the stacks use app_name for all four",
					app, env.ECS.Container, env.EKS.Release, env.Image.Repository)
			}

			vals, err := chartutil.ReadValuesFile(filepath.Join(root(t), env.EKS.ValuesFiles[0]))
			if err != nil {
				t.Fatal(err)
			}
			get := func(path string) string {
				v, err := vals.PathValue(path)
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				return fmt.Sprint(v)
			}
			if want := fmt.Sprintf("arn:aws:iam::%s:role/%s-%s-irsa", env.AccountID, app, name); get("serviceAccount.roleArn") != want {
				t.Errorf("serviceAccount.roleArn %s, want %s (modules/eks-app names the role)", get("serviceAccount.roleArn"), want)
			}
			if want := fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", env.AccountID, env.Region, env.Image.Repository); get("image.repository") != want {
				t.Errorf("image.repository %s, want %s", get("image.repository"), want)
			}
			if cert := get("ingress.certificateArn"); !strings.HasPrefix(cert, fmt.Sprintf("arn:aws:acm:%s:%s:certificate/", env.Region, env.AccountID)) {
				t.Errorf("ingress.certificateArn %s is not in %s/%s", cert, env.Region, env.AccountID)
			}
			if get("ingress.host") != str("eks_hostname") {
				t.Errorf("ingress.host %s, dns.tfvars eks_hostname %s", get("ingress.host"), str("eks_hostname"))
			}
			if get("ingress.extraHosts") != "["+str("app_hostname")+"]" {
				t.Errorf("ingress.extraHosts %s, want [%s]", get("ingress.extraHosts"), str("app_hostname"))
			}
			for _, h := range []string{"app_hostname", "ecs_hostname", "eks_hostname"} {
				if !strings.HasSuffix(str(h), "."+str("dns_zone_name")) {
					t.Errorf("%s %s is outside zone %s (the wildcard certificate would not cover it)", h, str(h), str("dns_zone_name"))
				}
				if strings.Count(strings.TrimSuffix(str(h), "."+str("dns_zone_name")), ".") > 0 {
					t.Errorf("%s %s is two levels below the zone: *.%s does not cover it", h, str(h), str("dns_zone_name"))
				}
			}
			// Runtime configuration on EKS names what stacks/shared/parameters creates.
			params, secrets := parametersStack(t)
			if es, err := vals.Table("externalSecrets"); err == nil {
				list := func(key string) []map[string]any {
					raw, _ := es[key].([]any)
					var out []map[string]any
					for _, e := range raw {
						out = append(out, e.(map[string]any))
					}
					return out
				}
				for _, p := range list("parameters") {
					n := fmt.Sprint(p["envName"])
					if !params[n] {
						t.Errorf("externalSecrets.parameters %s: stacks/shared/parameters creates no such parameter (%v)", n, params)
					}
					if want := fmt.Sprintf("/%s/%s/app/%s", app, name, n); p["remoteKey"] != want {
						t.Errorf("parameter %s remoteKey %v, want %s", n, p["remoteKey"], want)
					}
				}
				for _, d := range list("data") {
					n := fmt.Sprint(d["envName"])
					short, ok := secrets[n]
					if !ok {
						t.Errorf("externalSecrets.data %s: not in app_secret_names of stacks/shared/parameters", n)
					}
					if want := fmt.Sprintf("%s/%s/%s", app, name, short); d["remoteKey"] != want {
						t.Errorf("secret %s remoteKey %v, want %s", n, d["remoteKey"], want)
					}
				}
			}
			if env.Production {
				for _, k := range []string{"alb_deletion_protection"} {
					if v, ok := ov.Value(k); !ok || !v.Value.True() {
						t.Errorf("production must set %s = true", k)
					}
				}
				if v, _ := ov.Value("nat_strategy"); v.Value.AsString() != "one_per_az" {
					t.Errorf("production NAT strategy must be one_per_az")
				}
			}
		})
	}
}

// parametersStack reads the parameter names (locals.parameters) and the default secret names
// (variable app_secret_names) of stacks/shared/parameters.
func parametersStack(t *testing.T) (map[string]bool, map[string]string) {
	t.Helper()
	dirs, err := ParseTree(root(t), "stacks/shared/parameters")
	if err != nil || len(dirs) != 1 {
		t.Fatalf("parse stacks/shared/parameters: %v", err)
	}
	params := map[string]bool{}
	for _, b := range dirs[0].Blocks("locals", "") {
		attr, ok := b.Body.Attributes["parameters"]
		if !ok {
			continue
		}
		hclsyntax.VisitAll(attr.Expr, func(n hclsyntax.Node) hcl.Diagnostics {
			if obj, ok := n.(*hclsyntax.ObjectConsExpr); ok {
				for _, it := range obj.Items {
					if k, ok := staticValue(it.KeyExpr); ok && k.Type() == cty.String {
						params[k.AsString()] = true
					}
				}
			}
			return nil
		})
	}
	secrets := map[string]string{}
	for _, b := range dirs[0].Blocks("variable", "app_secret_names") {
		if v, ok := staticValue(b.Body.Attributes["default"].Expr); ok {
			for k, e := range v.AsValueMap() {
				secrets[k] = e.AsString()
			}
		}
	}
	if len(params) == 0 || len(secrets) == 0 {
		t.Fatalf("found no parameters (%v) or secrets (%v) in stacks/shared/parameters", params, secrets)
	}
	return params, secrets
}
