package blueprintcheck

import (
	"fmt"
	"slices"

	"github.com/zclconf/go-cty/cty"

	"github.com/platformteam/delivery/pkg/blueprint"
	"github.com/platformteam/delivery/pkg/environment"
)

// CheckEnvironmentConsistency checks what an environment states in more than one file, so that
// delivery.yaml, the tfvars and the stacks cannot disagree:
//   - tfvars account_id (the providers' allowed_account_ids) equals delivery.yaml account_id;
//   - promotion peers: promotion_targets and promotion_source name existing environments with their
//     delivery.yaml account (and region), and both sides of each promotion declare it;
//   - the values the CI identities derive from delivery.yaml (app, repository, namespace) equal what
//     the stacks use (app_name, ecr_repositories, app_namespaces, from tfvars or the stack defaults).
func CheckEnvironmentConsistency(repoRoot string, envs []string) []Problem {
	var out []Problem
	dirs, err := ParseTree(repoRoot, "stacks/shared/iam", "stacks/shared/ecr")
	if err != nil {
		return []Problem{{File: "stacks", Line: 1, Message: err.Error()}}
	}
	type loaded struct {
		env *environment.Environment
		ov  *blueprint.Overlay
	}
	all := map[string]loaded{}
	for _, name := range envs {
		e, err := environment.Load(repoRoot, name)
		if err != nil {
			out = append(out, Problem{File: "environments/" + name + "/delivery.yaml", Line: 1, Message: err.Error()})
			continue
		}
		ov, err := blueprint.LoadOverlay(repoRoot, name)
		if err != nil {
			out = append(out, Problem{File: "environments/" + name, Line: 1, Message: err.Error()})
			continue
		}
		all[name] = loaded{e, ov}
	}
	for _, name := range envs {
		l, ok := all[name]
		if !ok {
			continue
		}
		e, ov := l.env, l.ov
		delivery := "environments/" + name + "/delivery.yaml"
		add := func(file string, ln int, msg string, args ...any) {
			out = append(out, Problem{File: file, Line: ln, Message: fmt.Sprintf(msg, args...)})
		}
		if tv, ok := ov.Value("account_id"); !ok {
			add(ov.Dir+"/tags.tfvars", 1, "environment %s sets no account_id: add account_id = %q (delivery.yaml's) so every provider refuses other accounts", name, e.AccountID)
		} else if tv.Value.Type() != cty.String || tv.Value.AsString() != e.AccountID {
			add(tv.File, tv.Line, "account_id %s differs from %s account_id %s: the providers would refuse the account the pipeline deploys to", quoted(tv.Value), delivery, e.AccountID)
		}

		if tv, ok := ov.Value("promotion_targets"); ok && !tv.Value.IsNull() && (tv.Value.Type().IsObjectType() || tv.Value.Type().IsMapType()) {
			for target, acct := range tv.Value.AsValueMap() {
				t, ok := all[target]
				switch {
				case !ok:
					add(tv.File, tv.Line, "promotion_targets names %s, which is not an environment of this blueprint", target)
				case acct.Type() != cty.String || acct.AsString() != t.env.AccountID:
					add(tv.File, tv.Line, "promotion_targets.%s = %s, but environments/%s/delivery.yaml says account %s", target, quoted(acct), target, t.env.AccountID)
				default:
					if src, ok := promotionSource(t.ov); !ok || src != name {
						add(tv.File, tv.Line, "promotion_targets lists %s, but environments/%s does not set promotion_source to %s", target, target, name)
					}
				}
			}
		}
		if tv, ok := ov.Value("promotion_source"); ok && !tv.Value.IsNull() && tv.Value.Type().IsObjectType() {
			get := func(k string) string {
				if !tv.Value.Type().HasAttribute(k) || tv.Value.GetAttr(k).Type() != cty.String {
					return ""
				}
				return tv.Value.GetAttr(k).AsString()
			}
			src, ok := all[get("environment")]
			switch {
			case !ok:
				add(tv.File, tv.Line, "promotion_source.environment %q is not an environment of this blueprint", get("environment"))
			case get("account_id") != src.env.AccountID || get("region") != src.env.Region:
				add(tv.File, tv.Line, "promotion_source says %s/%s, but environments/%s/delivery.yaml says %s/%s", get("account_id"), get("region"), get("environment"), src.env.AccountID, src.env.Region)
			default:
				if tt, ok := src.ov.Value("promotion_targets"); !ok || tt.Value.IsNull() || !tt.Value.Type().IsObjectType() && !tt.Value.Type().IsMapType() || !hasKeyValue(tt.Value, name) {
					add(tv.File, tv.Line, "promotion_source is %s, but environments/%s does not list %s in promotion_targets (its registry would refuse the pull)", get("environment"), get("environment"), name)
				}
			}
		}

		// The identities derive these from delivery.yaml; the stacks from their variables.
		stackValue := func(stack, variable string) (cty.Value, string, int) {
			if tv, ok := ov.Value(variable); ok {
				return tv.Value, tv.File, tv.Line
			}
			for _, d := range dirs {
				if d.Path != "stacks/"+stack {
					continue
				}
				for _, b := range d.Blocks("variable", variable) {
					if attr, ok := b.Body.Attributes["default"]; ok {
						if v, ok := staticValue(attr.Expr); ok {
							return v, b.Range().Filename, line(b.Range())
						}
					}
				}
			}
			return cty.NilVal, "stacks/" + stack, 1
		}
		wantList := func(stack, variable string, want []string, why string) {
			v, file, ln := stackValue(stack, variable)
			if v == cty.NilVal || v.IsNull() || !(v.Type().IsListType() || v.Type().IsTupleType()) || !slices.Equal(ctyStrings(v), want) {
				add(file, ln, "stacks/%s %s is %s in %s, but delivery.yaml says %v (%s)", stack, variable, describe(v), name, want, why)
			}
		}
		if v, file, ln := stackValue("shared/iam", "app_name"); v == cty.NilVal || v.Type() != cty.String || v.AsString() != e.Image.Repository {
			add(file, ln, "stacks/shared/iam app_name is %s in %s, but delivery.yaml image.repository is %s (the CI roles are scoped to the app's service, roles and repository)", describe(v), name, e.Image.Repository)
		}
		wantList("shared/ecr", "ecr_repositories", []string{e.Image.Repository}, "the deploy role pushes to image.repository")
		wantList("shared/iam", "app_namespaces", []string{e.EKS.Namespace}, "the deploy role's access entry scope is eks.namespace")
	}
	return out
}

func promotionSource(ov *blueprint.Overlay) (string, bool) {
	tv, ok := ov.Value("promotion_source")
	if !ok || tv.Value.IsNull() || !tv.Value.Type().IsObjectType() || !tv.Value.Type().HasAttribute("environment") {
		return "", false
	}
	v := tv.Value.GetAttr("environment")
	if v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

func hasKeyValue(v cty.Value, key string) bool {
	_, ok := v.AsValueMap()[key]
	return ok
}

func describe(v cty.Value) string {
	if v == cty.NilVal {
		return "unset"
	}
	if v.IsNull() {
		return "null"
	}
	if v.Type() == cty.String {
		return v.AsString()
	}
	return fmt.Sprint(ctyStrings(v))
}

func quoted(v cty.Value) string {
	if v.Type() == cty.String && !v.IsNull() {
		return fmt.Sprintf("%q", v.AsString())
	}
	return describe(v)
}
