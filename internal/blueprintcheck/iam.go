package blueprintcheck

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Managed policies that amount to Action "*" on Resource "*" (or close to it).
var forbiddenManagedPolicies = []string{"AdministratorAccess", "PowerUserAccess", "IAMFullAccess"}

// CheckIAM finds IAM policies granting every action on every resource, in all three ways a policy is
// written in Terraform: aws_iam_policy_document statements, jsonencode({...}) objects and literal JSON
// strings. Deny statements are fine; so are service wildcards such as "kms:*" on a key policy.
// It also refuses attachments of managed policies equivalent to full admin.
func CheckIAM(dirs []*Dir) []Problem {
	var out []Problem
	for _, d := range dirs {
		for _, b := range d.Blocks("data", "aws_iam_policy_document") {
			for _, st := range b.Body.Blocks {
				if st.Type != "statement" && st.Type != "dynamic" {
					continue
				}
				body := st.Body
				if st.Type == "dynamic" {
					body = contentBody(st.Body)
					if body == nil {
						continue
					}
				}
				if p, bad := wildcardStatement(body); bad {
					out = append(out, Problem{File: st.Range().Filename, Line: line(st.Range()),
						Message: fmt.Sprintf("data.aws_iam_policy_document.%s: statement allows %s on every resource", b.Labels[1], p)})
				}
			}
		}
		for file, body := range d.Files {
			hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
				switch e := n.(type) {
				case *hclsyntax.ObjectConsExpr:
					if p, bad := wildcardJSONObject(e); bad {
						out = append(out, Problem{File: file, Line: line(e.Range()), Message: "policy object allows " + p + " on Resource \"*\""})
					}
				case *hclsyntax.TemplateExpr:
					if v, ok := staticValue(e); ok && v.Type() == cty.String {
						s := v.AsString()
						if p, bad := wildcardJSONString(s); bad {
							out = append(out, Problem{File: file, Line: line(e.Range()), Message: "JSON policy allows " + p + " on Resource \"*\""})
						}
					}
					// Literal parts catch "${local.managed}/AdministratorAccess" as well as full ARNs.
					for _, part := range e.Parts {
						lit, ok := part.(*hclsyntax.LiteralValueExpr)
						if !ok || lit.Val.Type() != cty.String {
							continue
						}
						for _, m := range forbiddenManagedPolicies {
							if strings.Contains(lit.Val.AsString(), m) {
								out = append(out, Problem{File: file, Line: line(e.Range()), Message: "managed policy " + m + " grants (almost) everything"})
							}
						}
					}
				}
				return nil
			})
		}
	}
	return out
}

// contentBody returns the content block of a dynamic "statement" block.
func contentBody(b *hclsyntax.Body) *hclsyntax.Body {
	for _, c := range b.Blocks {
		if c.Type == "content" {
			return c.Body
		}
	}
	return nil
}

func isAllActions(a string) bool { return a == "*" || a == "*:*" }

// wildcardStatement: effect Allow (default) with actions "*" (or any not_actions) and resources "*".
func wildcardStatement(body *hclsyntax.Body) (string, bool) {
	if attr, ok := body.Attributes["effect"]; ok {
		if v, ok := staticValue(attr.Expr); ok && v.Type() == cty.String && v.AsString() == "Deny" {
			return "", false
		}
	}
	resAll := false
	if attr, ok := body.Attributes["resources"]; ok {
		for _, r := range stringsOf(attr.Expr) {
			resAll = resAll || r == "*"
		}
	}
	if attr, ok := body.Attributes["not_resources"]; ok && len(stringsOf(attr.Expr)) > 0 {
		resAll = true
	}
	if !resAll {
		return "", false
	}
	if _, ok := body.Attributes["not_actions"]; ok {
		return "NotAction (everything but a list)", true
	}
	if attr, ok := body.Attributes["actions"]; ok {
		for _, a := range stringsOf(attr.Expr) {
			if isAllActions(a) {
				return `Action "*"`, true
			}
		}
	}
	return "", false
}

// wildcardJSONObject inspects a jsonencode-style object: {Effect, Action, Resource}.
func wildcardJSONObject(e *hclsyntax.ObjectConsExpr) (string, bool) {
	fields := map[string]hclsyntax.Expression{}
	for _, it := range e.Items {
		k, ok := staticValue(it.KeyExpr)
		if !ok || k.Type() != cty.String {
			continue
		}
		fields[strings.ToLower(k.AsString())] = it.ValueExpr
	}
	if ef, ok := fields["effect"]; ok {
		if v, ok := staticValue(ef); ok && v.Type() == cty.String && v.AsString() == "Deny" {
			return "", false
		}
	}
	res, ok := fields["resource"]
	if !ok {
		return "", false
	}
	resAll := false
	for _, r := range stringsOf(res) {
		resAll = resAll || r == "*"
	}
	if !resAll {
		return "", false
	}
	if _, ok := fields["notaction"]; ok {
		return "NotAction", true
	}
	if act, ok := fields["action"]; ok {
		for _, a := range stringsOf(act) {
			if isAllActions(a) {
				return `Action "*"`, true
			}
		}
	}
	return "", false
}

// wildcardJSONString parses a literal policy document (heredoc or string).
func wildcardJSONString(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") || !strings.Contains(s, "Statement") {
		return "", false
	}
	var doc struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(s), &doc) != nil {
		return "", false
	}
	var stmts []map[string]any
	if json.Unmarshal(doc.Statement, &stmts) != nil {
		var one map[string]any
		if json.Unmarshal(doc.Statement, &one) != nil {
			return "", false
		}
		stmts = []map[string]any{one}
	}
	for _, st := range stmts {
		if st["Effect"] == "Deny" {
			continue
		}
		if !anyIs(st["Resource"], "*") {
			continue
		}
		if _, ok := st["NotAction"]; ok {
			return "NotAction", true
		}
		if anyIs(st["Action"], "*") || anyIs(st["Action"], "*:*") {
			return `Action "*"`, true
		}
	}
	return "", false
}

func anyIs(v any, want string) bool {
	switch x := v.(type) {
	case string:
		return x == want
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && s == want {
				return true
			}
		}
	}
	return false
}
