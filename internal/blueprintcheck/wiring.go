package blueprintcheck

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/platformteam/delivery/internal/iampolicy"
	"github.com/platformteam/delivery/pkg/blueprint"
)

// CheckIdentityWiring proves, per environment, that the Terraform passes each policy template the
// inputs internal/iampolicy declares. It evaluates what stacks/shared/iam and stacks/shared/ecr pass
// to modules/iam and modules/ecr, then the vars of every templatefile() call there (per for_each key),
// from the environment's tfvars and the stacks' defaults, with the values only AWS knows standing in
// (account = delivery.yaml's, which allowed_account_ids enforces; partition and region; role ARNs from
// the roles' own name expressions). Each template rendered with those vars must equal the Go
// declaration's rendering, and both sides must render the same set of documents.
func CheckIdentityWiring(repoRoot string, envs []string) []Problem {
	bp, err := blueprint.Load(repoRoot)
	if err != nil {
		return []Problem{{File: "stacks", Line: 1, Message: err.Error()}}
	}
	dirs, err := ParseTree(repoRoot, "modules/iam", "modules/ecr", "stacks/shared/iam", "stacks/shared/ecr")
	if err != nil {
		return []Problem{{File: "modules", Line: 1, Message: err.Error()}}
	}
	byPath := map[string]*Dir{}
	for _, d := range dirs {
		byPath[d.Path] = d
	}
	var out []Problem
	for _, env := range envs {
		w := wiring{root: repoRoot, env: env, bp: bp, dirs: byPath}
		out = append(out, w.check()...)
	}
	return out
}

type wiring struct {
	root string
	env  string
	bp   *blueprint.Blueprint
	dirs map[string]*Dir
	s    *iampolicy.Settings
}

// rendering is one templatefile() call rendered for one for_each key.
type rendering struct {
	template, key string
	file          string
	line          int
	doc           string
}

func (w *wiring) check() []Problem {
	problem := func(file string, l int, msg string, args ...any) []Problem {
		return []Problem{{File: file, Line: l, Message: fmt.Sprintf("%s: %s", w.env, fmt.Sprintf(msg, args...))}}
	}
	s, err := iampolicy.LoadSettings(w.root, w.env)
	if err != nil {
		return problem("environments/"+w.env, 1, "%v", err)
	}
	w.s = s
	ov, err := blueprint.LoadOverlay(w.root, w.env)
	if err != nil {
		return problem("environments/"+w.env, 1, "%v", err)
	}

	// stacks/shared/ecr → modules/ecr
	ecrStack, err := w.stackScope("shared/ecr", ov, map[string]cty.Value{
		"data": obj(map[string]cty.Value{"aws_partition": current("partition", s.Partition)}),
	})
	if err != nil {
		return problem("stacks/shared/ecr", 1, "%v", err)
	}
	ecrInputs, err := w.moduleInputs(ecrStack, "stacks/shared/ecr", "ecr", "modules/ecr")
	if err != nil {
		return problem("stacks/shared/ecr", 1, "%v", err)
	}
	repos := map[string]cty.Value{}
	if v, ok := ecrInputs["repositories"]; ok && !v.IsNull() {
		for _, r := range ctyStrings(v) {
			repos[r] = obj(map[string]cty.Value{"name": cty.StringVal(r),
				"arn": cty.StringVal("arn:" + s.Partition + ":ecr:" + s.Region + ":" + s.AccountID + ":repository/" + r)})
		}
	}
	// The signing keys' attributes only AWS knows (key id), one per repository.
	signingKeys := map[string]cty.Value{}
	for r := range repos {
		id := cty.StringVal("00000000-0000-4000-8000-000000000000")
		signingKeys[r] = obj(map[string]cty.Value{"key_id": id, "arn": cty.StringVal("arn:" + s.Partition + ":kms:" + s.Region + ":" + s.AccountID + ":key/" + id.AsString())})
	}
	ecrModule := w.moduleScope("modules/ecr", ecrInputs, map[string]cty.Value{
		"data":               obj(map[string]cty.Value{"aws_partition": current("partition", s.Partition), "aws_caller_identity": current("account_id", s.AccountID)}),
		"aws_ecr_repository": obj(map[string]cty.Value{"this": obj(repos)}),
		"aws_kms_key":        obj(map[string]cty.Value{"signing": obj(signingKeys)}),
	})

	// stacks/shared/iam → modules/iam
	repoARNs := map[string]cty.Value{}
	for r, v := range repos {
		repoARNs[r] = v.GetAttr("arn")
	}
	oidc := cty.StringVal("arn:" + s.Partition + ":iam::" + s.AccountID + ":oidc-provider/" + iampolicy.OIDCIssuer)
	iamStack, err := w.stackScope("shared/iam", ov, map[string]cty.Value{
		"data": obj(map[string]cty.Value{
			"aws_partition":          current("partition", s.Partition),
			"terraform_remote_state": obj(map[string]cty.Value{"ecr": obj(map[string]cty.Value{"outputs": obj(map[string]cty.Value{"repository_arns": obj(repoARNs)})})}),
			"tls_certificate":        obj(map[string]cty.Value{}),
			"aws_caller_identity":    current("account_id", s.AccountID),
		}),
		"aws_iam_openid_connect_provider": obj(map[string]cty.Value{"github": cty.TupleVal([]cty.Value{obj(map[string]cty.Value{"arn": oidc})})}),
	})
	if err != nil {
		return problem("stacks/shared/iam", 1, "%v", err)
	}
	iamInputs, err := w.moduleInputs(iamStack, "stacks/shared/iam", "ci_roles", "modules/iam")
	if err != nil {
		return problem("stacks/shared/iam", 1, "%v", err)
	}
	iamModule := w.moduleScope("modules/iam", iamInputs, map[string]cty.Value{
		"data": obj(map[string]cty.Value{
			"aws_caller_identity": current("account_id", s.AccountID),
			"aws_partition":       current("partition", s.Partition),
			"aws_region":          current("name", s.Region),
		}),
	})
	// The roles' ARNs, from their own name expressions.
	roles := map[string]cty.Value{}
	for _, b := range w.dirs["modules/iam"].Blocks("resource", "aws_iam_role") {
		name := b.Labels[1]
		keys, err := iamModule.forEachKeys(b)
		if err != nil {
			return problem(b.Range().Filename, line(b.Range()), "aws_iam_role.%s: %v", name, err)
		}
		attrs := func(each *string) (cty.Value, error) {
			v, err := iamModule.eval(b.Body.Attributes["name"].Expr, each)
			if err != nil {
				return cty.NilVal, err
			}
			arn := cty.StringVal(iampolicy.RoleARN(s.Partition, s.AccountID, v.AsString()))
			return obj(map[string]cty.Value{"name": v, "id": v, "arn": arn}), nil
		}
		if keys == nil {
			v, err := attrs(nil)
			if err != nil {
				return problem(b.Range().Filename, line(b.Range()), "aws_iam_role.%s: %v", name, err)
			}
			roles[name] = v
			continue
		}
		byKey := map[string]cty.Value{}
		for _, k := range keys {
			v, err := attrs(&k)
			if err != nil {
				return problem(b.Range().Filename, line(b.Range()), "aws_iam_role.%s[%q]: %v", name, k, err)
			}
			byKey[k] = v
		}
		roles[name] = obj(byKey)
	}
	iamModule.extra["aws_iam_role"] = obj(roles)

	var out []Problem
	var tf []rendering
	for _, m := range []*scope{iamModule, ecrModule} {
		r, errs := m.renderTemplateCalls(w.root)
		out = append(out, errs...)
		tf = append(tf, r...)
	}

	// The Go declaration's renderings of the same (template, key) pairs.
	in := iampolicy.InputsFor(s)
	goSide := map[[2]string]any{
		{iampolicy.TemplateTrustCI, "apply"}:     in.TrustApply,
		{iampolicy.TemplateTrustCI, "deploy"}:    in.TrustDeploy,
		{iampolicy.TemplateTrustCodeBuild, ""}:   in.TrustCodeBuild,
		{iampolicy.TemplateApply, ""}:            in.Apply,
		{iampolicy.TemplateDeploy, ""}:           in.Deploy,
		{iampolicy.TemplateCodeBuild, ""}:        in.CodeBuild,
		{iampolicy.TemplateEKSAccessEntries, ""}: in.AccessEntries,
	}
	if in.TrustPlan != nil {
		goSide[[2]string{iampolicy.TemplateTrustCI, "plan"}] = *in.TrustPlan
		goSide[[2]string{iampolicy.TemplateReadOnly, "plan"}] = in.ReadOnly
	}
	if in.TrustDrift != nil {
		goSide[[2]string{iampolicy.TemplateTrustCI, "drift"}] = *in.TrustDrift
		goSide[[2]string{iampolicy.TemplateReadOnly, "drift"}] = in.ReadOnly
	}
	if in.ECRPull != nil {
		for r := range repos {
			goSide[[2]string{iampolicy.TemplateECRPull, r}] = *in.ECRPull
		}
	}
	for r := range repos {
		goSide[[2]string{iampolicy.TemplateSigningKey, r}] = in.SigningKey
	}
	seen := map[[2]string]bool{}
	for _, r := range tf {
		k := [2]string{r.template, r.key}
		seen[k] = true
		inputs, ok := goSide[k]
		if !ok {
			out = append(out, problem(r.file, r.line, "Terraform renders %s%s, which internal/iampolicy does not declare", r.template, keySuffix(r.key))...)
			continue
		}
		vars, err := iampolicy.VarsOf(inputs)
		if err != nil {
			out = append(out, problem(r.file, r.line, "%v", err)...)
			continue
		}
		want, err := iampolicy.Render(w.root, r.template, vars)
		if err != nil {
			out = append(out, problem(r.file, r.line, "%v", err)...)
			continue
		}
		if want != r.doc {
			out = append(out, problem(r.file, r.line, "%s%s: the Terraform's inputs render a different document than internal/iampolicy's (the sandbox would enforce another policy)\n  terraform: %s\n  go:        %s",
				r.template, keySuffix(r.key), strings.TrimSpace(r.doc), strings.TrimSpace(want))...)
		}
	}
	var missing []string
	for k := range goSide {
		if !seen[k] {
			missing = append(missing, k[0]+keySuffix(k[1]))
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		out = append(out, problem("modules/iam", 1, "internal/iampolicy declares %s, which the Terraform does not render", m)...)
	}
	return out
}

func keySuffix(k string) string {
	if k == "" {
		return ""
	}
	return "[" + k + "]"
}

func obj(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

func current(attr, value string) cty.Value {
	return obj(map[string]cty.Value{"current": obj(map[string]cty.Value{attr: cty.StringVal(value)})})
}

// scope evaluates expressions of one Terraform directory: var.*, local.* (evaluated on demand),
// path.module and the stand-ins in extra.
type scope struct {
	dir    *Dir
	vars   map[string]cty.Value
	locals map[string]hclsyntax.Expression
	done   map[string]cty.Value
	extra  map[string]cty.Value
}

func newScope(d *Dir, vars, extra map[string]cty.Value) *scope {
	s := &scope{dir: d, vars: vars, locals: map[string]hclsyntax.Expression{}, done: map[string]cty.Value{}, extra: extra}
	for _, b := range d.Blocks("locals", "") {
		for n, a := range b.Body.Attributes {
			s.locals[n] = a.Expr
		}
	}
	s.extra["path"] = obj(map[string]cty.Value{"module": cty.StringVal(d.Path)})
	return s
}

// stackScope is a stack's scope: the environment's inputs (engine variables, tfvars) and the defaults.
func (w *wiring) stackScope(id string, ov *blueprint.Overlay, extra map[string]cty.Value) (*scope, error) {
	st, ok := w.bp.Stacks[id]
	if !ok {
		return nil, fmt.Errorf("no stack %s", id)
	}
	in, findings := blueprint.StackInputs(st, ov)
	if len(findings) > 0 {
		return nil, fmt.Errorf("inputs: %s", findings[0])
	}
	d := w.dirs["stacks/"+id]
	vars := defaults(d)
	for k, v := range in.Values {
		vars[k] = v
	}
	return newScope(d, vars, extra), nil
}

// moduleInputs evaluates the arguments of module "name" in the stack's scope, with the module's
// defaults for the ones not passed.
func (w *wiring) moduleInputs(stack *scope, stackDir, name, moduleDir string) (map[string]cty.Value, error) {
	vars := defaults(w.dirs[moduleDir])
	found := false
	for _, b := range stack.dir.Blocks("module", name) {
		found = true
		for n, a := range b.Body.Attributes {
			if n == "source" || n == "count" || n == "for_each" || n == "providers" || n == "depends_on" {
				continue
			}
			v, err := stack.eval(a.Expr, nil)
			if err != nil {
				return nil, fmt.Errorf("module %s argument %s: %w", name, n, err)
			}
			vars[n] = v
		}
	}
	if !found {
		return nil, fmt.Errorf("%s calls no module %q", stackDir, name)
	}
	return vars, nil
}

func (w *wiring) moduleScope(dir string, inputs, extra map[string]cty.Value) *scope {
	return newScope(w.dirs[dir], inputs, extra)
}

// defaults are the static default values of a directory's variables (null when none).
func defaults(d *Dir) map[string]cty.Value {
	out := map[string]cty.Value{}
	for _, b := range d.Blocks("variable", "") {
		v := cty.NullVal(cty.DynamicPseudoType)
		if a, ok := b.Body.Attributes["default"]; ok {
			if dv, ok := staticValue(a.Expr); ok {
				v = dv
			}
		}
		out[b.Labels[0]] = v
	}
	return out
}

func (s *scope) local(name string, stack []string) (cty.Value, error) {
	if v, ok := s.done[name]; ok {
		return v, nil
	}
	for _, n := range stack {
		if n == name {
			return cty.NilVal, fmt.Errorf("local.%s refers to itself", name)
		}
	}
	e, ok := s.locals[name]
	if !ok {
		return cty.NilVal, fmt.Errorf("no local.%s in %s", name, s.dir.Path)
	}
	v, err := s.evalWith(e, nil, append(stack, name))
	if err != nil {
		return cty.NilVal, fmt.Errorf("local.%s: %w", name, err)
	}
	s.done[name] = v
	return v, nil
}

func (s *scope) eval(e hcl.Expression, each *string) (cty.Value, error) {
	return s.evalWith(e, each, nil)
}

func (s *scope) evalWith(e hcl.Expression, each *string, stack []string) (cty.Value, error) {
	locals := map[string]cty.Value{}
	for _, tr := range e.Variables() {
		if tr.RootName() != "local" || len(tr) < 2 {
			continue
		}
		name := traversalAttr(tr, 1)
		v, err := s.local(name, stack)
		if err != nil {
			return cty.NilVal, err
		}
		locals[name] = v
	}
	vars := map[string]cty.Value{"var": obj(s.vars), "local": obj(locals)}
	for k, v := range s.extra {
		vars[k] = v
	}
	if each != nil {
		vars["each"] = obj(map[string]cty.Value{"key": cty.StringVal(*each), "value": cty.StringVal(*each)})
	}
	v, diags := e.Value(&hcl.EvalContext{Variables: vars, Functions: terraformFunctions()})
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("%s", diags.Error())
	}
	return v, nil
}

// forEachKeys evaluates a block's for_each (nil when it has none).
func (s *scope) forEachKeys(b *hclsyntax.Block) ([]string, error) {
	a, ok := b.Body.Attributes["for_each"]
	if !ok {
		return nil, nil
	}
	v, err := s.eval(a.Expr, nil)
	if err != nil {
		return nil, fmt.Errorf("for_each: %w", err)
	}
	keys := []string{}
	switch {
	case v.Type().IsSetType() || v.Type().IsListType() || v.Type().IsTupleType():
		keys = append(keys, ctyStrings(v)...)
	case v.Type().IsMapType() || v.Type().IsObjectType():
		for k := range v.AsValueMap() {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys, nil
}

// renderTemplateCalls renders every templatefile() call of the directory, per for_each key of its
// block, with the vars the Terraform would pass.
func (s *scope) renderTemplateCalls(root string) ([]rendering, []Problem) {
	var out []rendering
	var problems []Problem
	for _, file := range sortedFiles(s.dir) {
		for _, b := range s.dir.Files[file].Blocks {
			keys, err := s.forEachKeys(b)
			if err != nil {
				problems = append(problems, Problem{File: file, Line: line(b.Range()), Message: fmt.Sprintf("%s: %v", strings.Join(b.Labels, "."), err)})
				continue
			}
			hclsyntax.VisitAll(b.Body, func(n hclsyntax.Node) hcl.Diagnostics {
				call, ok := n.(*hclsyntax.FunctionCallExpr)
				if !ok || call.Name != "templatefile" || len(call.Args) != 2 {
					return nil
				}
				rel, ok := templatePath(call.Args[0], s.dir.Path)
				if !ok {
					return nil // CheckTemplateCalls reports it
				}
				render := func(each *string) {
					key := ""
					if each != nil {
						key = *each
					}
					vars, err := s.eval(call.Args[1], each)
					if err == nil && !(vars.Type().IsObjectType() || vars.Type().IsMapType()) {
						err = fmt.Errorf("vars are not an object")
					}
					var doc string
					if err == nil {
						doc, err = iampolicy.Render(root, rel, vars.AsValueMap())
					}
					if err != nil {
						problems = append(problems, Problem{File: file, Line: line(call.Range()), Message: fmt.Sprintf("templatefile(%s)%s: %v", rel, keySuffix(key), err)})
						return
					}
					out = append(out, rendering{template: rel, key: key, file: file, line: line(call.Range()), doc: doc})
				}
				if keys == nil {
					render(nil)
				}
				for _, k := range keys {
					render(&k)
				}
				return nil
			})
		}
	}
	return out, problems
}

// terraformFunctions are the Terraform functions the identity wiring uses, each the go-cty stdlib
// function Terraform binds to the name (templatefile calls are rendered by renderTemplateCalls).
func terraformFunctions() map[string]function.Function {
	return map[string]function.Function{
		"coalesce":   stdlib.CoalesceFunc,
		"concat":     stdlib.ConcatFunc,
		"contains":   stdlib.ContainsFunc,
		"distinct":   stdlib.DistinctFunc,
		"flatten":    stdlib.FlattenFunc,
		"join":       stdlib.JoinFunc,
		"jsondecode": stdlib.JSONDecodeFunc,
		"jsonencode": stdlib.JSONEncodeFunc,
		"keys":       stdlib.KeysFunc,
		"length":     stdlib.LengthFunc,
		"lookup":     stdlib.LookupFunc,
		"lower":      stdlib.LowerFunc,
		"merge":      stdlib.MergeFunc,
		"replace":    stdlib.ReplaceFunc,
		"sort":       stdlib.SortFunc,
		"split":      stdlib.SplitFunc,
		"tolist":     stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"toset":      stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"upper":      stdlib.UpperFunc,
		"values":     stdlib.ValuesFunc,
	}
}
