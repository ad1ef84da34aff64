package blueprintcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/platformteam/delivery/internal/iampolicy"
	"github.com/platformteam/delivery/pkg/environment"
)

// RealEnvironments lists the environments that run the blueprint at repoRoot itself (terraform.stacks_root
// "."), sorted: the ones whose identities the checks below read.
func RealEnvironments(repoRoot string) ([]string, error) {
	names, err := environment.Names(repoRoot)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		e, err := environment.Load(repoRoot, n)
		if err != nil {
			return nil, err
		}
		if filepath.Clean(e.Terraform.StacksRoot) == "." {
			out = append(out, n)
		}
	}
	return out, nil
}

// --- templates ----------------------------------------------------------------------------------

var iamAction = regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9*]+$`)

// CheckPolicyTemplates renders every policy template with its example inputs and checks the result is
// an IAM policy document (or, for the access entries, a list of entries); that templates call only
// functions internal/iampolicy evaluates as terraform does; and that no template file under
// modules/*/policies is left out of iampolicy.Templates.
func CheckPolicyTemplates(repoRoot string) []Problem {
	var out []Problem
	known := map[string]bool{}
	allowed := map[string]bool{}
	for _, f := range iampolicy.Functions() {
		allowed[f] = true
	}
	for _, use := range iampolicy.Templates() {
		known[use.Path] = true
		add := func(msg string, args ...any) {
			out = append(out, Problem{File: use.Path, Line: 1, Message: fmt.Sprintf(msg, args...)})
		}
		tpl, err := iampolicy.ParseTemplate(repoRoot, use.Path)
		if err != nil {
			add("%v", err)
			continue
		}
		for _, fn := range tpl.FunctionCalls() {
			if !allowed[fn] {
				add("calls %s(), which internal/iampolicy does not evaluate (allowed: %s)", fn, strings.Join(iampolicy.Functions(), ", "))
			}
		}
		vars, err := iampolicy.VarsOf(use.Example)
		if err != nil {
			add("%v", err)
			continue
		}
		rendered, err := tpl.Render(vars)
		if err != nil {
			add("%v", err)
			continue
		}
		if use.Kind == iampolicy.AccessEntries {
			continue // a list of entries, decoded (and so checked) by iampolicy.Load
		}
		for _, msg := range checkPolicyDocument(iampolicy.Document(rendered), use.Kind) {
			add("renders an invalid IAM policy: %s", msg)
		}
	}
	for _, dir := range []string{iampolicy.Dir, filepath.ToSlash(filepath.Dir(iampolicy.TemplateECRPull))} {
		entries, _ := os.ReadDir(filepath.Join(repoRoot, filepath.FromSlash(dir)))
		for _, e := range entries {
			p := dir + "/" + e.Name()
			if strings.HasSuffix(e.Name(), ".tftpl") && !known[p] {
				out = append(out, Problem{File: p, Line: 1, Message: "template is not declared in internal/iampolicy (Templates), so nothing renders or checks it"})
			}
		}
	}
	return out
}

// checkPolicyDocument validates the shape of an IAM policy: version, statements with an effect, actions
// named service:Action, resources on permission policies and principals on trust policies, unique sids.
func checkPolicyDocument(doc iampolicy.Document, kind iampolicy.Kind) []string {
	var out []string
	var head struct {
		Version string
	}
	if err := jsonUnmarshal(doc, &head); err != nil {
		return []string{err.Error()}
	}
	if head.Version != "2012-10-17" {
		out = append(out, fmt.Sprintf("Version %q, want 2012-10-17", head.Version))
	}
	sts, err := doc.Statements()
	if err != nil {
		return append(out, err.Error())
	}
	if len(sts) == 0 {
		out = append(out, "no statements")
	}
	sids := map[string]bool{}
	for i, s := range sts {
		where := fmt.Sprintf("statement %d (%s)", i, s.Sid)
		if s.Sid != "" {
			if !regexp.MustCompile(`^[A-Za-z0-9]+$`).MatchString(s.Sid) {
				out = append(out, where+": Sid must be alphanumeric")
			}
			if sids[s.Sid] {
				out = append(out, where+": duplicate Sid")
			}
			sids[s.Sid] = true
		}
		if s.Effect != "Allow" && s.Effect != "Deny" {
			out = append(out, where+": Effect must be Allow or Deny")
		}
		if (len(s.Action) == 0) == (len(s.NotAction) == 0) {
			out = append(out, where+": needs exactly one of Action and NotAction")
		}
		for _, a := range append(append([]string{}, s.Action...), s.NotAction...) {
			if a != "*" && !iamAction.MatchString(a) {
				out = append(out, fmt.Sprintf("%s: action %q is not service:Action", where, a))
			}
		}
		switch kind {
		case iampolicy.TrustPolicy, iampolicy.ResourcePolicy:
			if len(s.Principal) == 0 {
				out = append(out, where+": a "+string(kind)+" statement needs a Principal")
			}
		default:
			if len(s.Principal) > 0 {
				out = append(out, where+": an identity policy cannot name a Principal")
			}
			if (len(s.Resource) == 0) == (len(s.NotResource) == 0) {
				out = append(out, where+": needs exactly one of Resource and NotResource")
			}
		}
	}
	return out
}

// CheckTemplateCalls finds every templatefile() call in the modules and stacks and checks that it loads
// a template of internal/iampolicy from its own module and passes exactly the variables the template
// references: none missing (terraform would fail at plan) and none unused (a value the Go side would
// not pass either).
func CheckTemplateCalls(repoRoot string, dirs []*Dir) []Problem {
	var out []Problem
	uses := map[string]iampolicy.TemplateUse{}
	for _, u := range iampolicy.Templates() {
		uses[u.Path] = u
	}
	loaded := map[string]bool{}
	for _, d := range dirs {
		for file, body := range d.Files {
			hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
				call, ok := n.(*hclsyntax.FunctionCallExpr)
				if !ok || call.Name != "templatefile" || len(call.Args) != 2 {
					return nil
				}
				add := func(msg string, args ...any) {
					out = append(out, Problem{File: file, Line: line(call.Range()), Message: fmt.Sprintf(msg, args...)})
				}
				rel, ok := templatePath(call.Args[0], d.Path)
				if !ok {
					add(`templatefile() path must be "${path.module}/policies/<name>.json.tftpl"`)
					return nil
				}
				use, ok := uses[rel]
				if !ok {
					add("templatefile(%s): not a template of internal/iampolicy (add it to Templates)", rel)
					return nil
				}
				loaded[rel] = true
				if d.Path != use.Module {
					add("templatefile(%s) belongs to %s, not %s", rel, use.Module, d.Path)
				}
				tpl, err := iampolicy.ParseTemplate(repoRoot, rel)
				if err != nil {
					add("%v", err)
					return nil
				}
				obj, ok := call.Args[1].(*hclsyntax.ObjectConsExpr)
				if !ok {
					add("templatefile(%s): pass the variables as an object literal { name = ... }", rel)
					return nil
				}
				passed := map[string]bool{}
				for _, it := range obj.Items {
					k, ok := staticValue(it.KeyExpr)
					if !ok || k.Type() != cty.String {
						if kw, isKw := it.KeyExpr.(*hclsyntax.ObjectConsKeyExpr); isKw {
							if name := hcl.ExprAsKeyword(kw.Wrapped); name != "" {
								passed[name] = true
								continue
							}
						}
						add("templatefile(%s): variable names must be literal", rel)
						continue
					}
					passed[k.AsString()] = true
				}
				for _, v := range tpl.Variables() {
					if !passed[v] {
						add("templatefile(%s) does not pass %q, which the template references", rel, v)
					}
					delete(passed, v)
				}
				for _, v := range sortedSet(passed) {
					add("templatefile(%s) passes %q, which the template does not use", rel, v)
				}
				return nil
			})
		}
	}
	for _, u := range iampolicy.Templates() {
		if !loaded[u.Path] && hasDir(dirs, u.Module) {
			out = append(out, Problem{File: u.Module, Line: 1, Message: fmt.Sprintf("no templatefile() in %s loads %s: the Terraform no longer uses what the sandbox enforces", u.Module, u.Path)})
		}
	}
	return out
}

func hasDir(dirs []*Dir, p string) bool {
	for _, d := range dirs {
		if d.Path == p {
			return true
		}
	}
	return false
}

// templatePath resolves "${path.module}/x" in module dir to a repository-relative path.
func templatePath(e hclsyntax.Expression, dir string) (string, bool) {
	tpl, ok := e.(*hclsyntax.TemplateExpr)
	if !ok || len(tpl.Parts) != 2 {
		return "", false
	}
	scope, ok := tpl.Parts[0].(*hclsyntax.ScopeTraversalExpr)
	if !ok || len(scope.Traversal) != 2 || scope.Traversal.RootName() != "path" {
		return "", false
	}
	if a, ok := scope.Traversal[1].(hcl.TraverseAttr); !ok || a.Name != "module" {
		return "", false
	}
	lit, ok := tpl.Parts[1].(*hclsyntax.LiteralValueExpr)
	if !ok || lit.Val.Type() != cty.String {
		return "", false
	}
	return filepath.ToSlash(filepath.Clean(dir + lit.Val.AsString())), true
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// --- account guard ----------------------------------------------------------------------------------

// CheckAccountGuard: every stack declares variable "account_id" and every aws provider block sets
// allowed_account_ids = [var.account_id], so credentials of another account fail before any call.
func CheckAccountGuard(dirs []*Dir) []Problem {
	var out []Problem
	for _, d := range dirs {
		if !strings.HasPrefix(d.Path, "stacks/") {
			continue
		}
		providers := d.Blocks("provider", "aws")
		if len(providers) == 0 {
			continue
		}
		if len(d.Blocks("variable", "account_id")) == 0 {
			out = append(out, Problem{File: d.Path + "/variables.tf", Line: 1, Message: `stack declares no variable "account_id" (its value comes from environments/<env>/tags.tfvars)`})
		}
		for _, p := range providers {
			attr, ok := p.Body.Attributes["allowed_account_ids"]
			good := false
			if ok {
				if tup, isTup := attr.Expr.(*hclsyntax.TupleConsExpr); isTup && len(tup.Exprs) == 1 {
					tr := tup.Exprs[0].Variables()
					good = len(tr) == 1 && tr[0].RootName() == "var" && len(tr[0]) == 2 && traversalAttr(tr[0], 1) == "account_id"
				}
			}
			if !good {
				out = append(out, Problem{File: p.Range().Filename, Line: line(p.Range()),
					Message: `provider "aws" must set allowed_account_ids = [var.account_id]: wrong credentials would otherwise apply this environment into another account`})
			}
		}
	}
	return out
}

func traversalAttr(tr hcl.Traversal, i int) string {
	if a, ok := tr[i].(hcl.TraverseAttr); ok {
		return a.Name
	}
	return ""
}
