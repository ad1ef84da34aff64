package blueprint

import (
	"fmt"
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// envPlaceholder stands for var.environment while a remote-state key is evaluated statically.
const envPlaceholder = "\x00environment\x00"

// StateKeySuffix ends every state key of the scheme <env>/<stack>/terraform.tfstate.
const StateKeySuffix = "/terraform.tfstate"

// RemoteStateProblem explains why a remote-state read does not follow the convention.
type RemoteStateProblem struct {
	Rule    string
	Message string
	Hint    string
}

func (p *RemoteStateProblem) Error() string { return p.Message }

const remoteStateHint = `config = merge(var.remote_state, { key = "${var.environment}/<stack>/terraform.tfstate" })`

// RemoteStateRead is what one terraform_remote_state block reads, as far as the code shows it without
// running terraform. Every form people write is read: merge(var.remote_state, {...}), a plain config
// object, a literal key, "${var.environment}/..." keys, keys built in locals. The stack is derived
// whenever the key names one, even when the block also breaks a convention, so an ordering edge is
// never lost behind a finding and no finding hides another.
type RemoteStateRead struct {
	// Name is the block's name (data "terraform_remote_state" "<name>").
	Name string
	// Key is the key as written, with ${var.environment} shown for the environment ("" when unreadable).
	Key string
	// Stack is the stack the key names ("" when the key names none). It may not exist: see Problems.
	Stack string
	// Environment is the environment hard-coded in the key ("" when the key uses var.environment).
	Environment string
	// Problems are the conventions the block breaks, each an error finding.
	Problems []*RemoteStateProblem
}

// Edge reports whether the read orders the stacks: it names an existing stack other than self.
func (r RemoteStateRead) Edge(self string, exists func(string) bool) bool {
	return r.Stack != "" && r.Stack != self && exists(r.Stack)
}

// ReadRemoteState reads a remote-state block of cfg (a stack) statically: var.environment is bound to a
// placeholder, var.remote_state to an empty object, other variables are unknown, and the directory's
// locals are evaluated, so a key built from them is read as well. exists tells which stack ids exist
// (it tells a hard-coded environment from a key without one).
func ReadRemoteState(cfg *Config, rs *RemoteState, exists func(string) bool) RemoteStateRead {
	read := RemoteStateRead{Name: rs.Name}
	add := func(rule, hint, format string, args ...any) {
		read.Problems = append(read.Problems, &RemoteStateProblem{Rule: rule, Message: fmt.Sprintf(format, args...), Hint: hint})
	}
	if rs.Backend != "s3" {
		add(RuleRemoteStateBackend, `set backend = "s3"`, "remote state %q uses backend %q, not \"s3\"", rs.Name, rs.Backend)
	}
	if rs.Config == nil {
		add(RuleRemoteStateConfig, remoteStateHint, "remote state %q has no config", rs.Name)
		return read
	}
	if call, ok := rs.Config.(*hclsyntax.FunctionCallExpr); !ok || call.Name != "merge" || len(call.Args) != 2 || !isTraversal(call.Args[0], "var", "remote_state") {
		add(RuleRemoteStateConfig, remoteStateHint,
			"remote state %q does not build its config as merge(var.remote_state, { key = ... }), so its bucket and region do not follow the environment's backend.hcl", rs.Name)
	}
	val, diags := rs.Config.Value(staticEvalContext(cfg))
	if diags.HasErrors() || !val.IsKnown() || val.IsNull() || !(val.Type().IsObjectType() || val.Type().IsMapType()) {
		add(RuleRemoteStateKey, remoteStateHint, "remote state %q: the config cannot be read statically (only var.environment and locals may vary)", rs.Name)
		return read
	}
	var key cty.Value
	switch {
	case val.Type().IsObjectType() && val.Type().HasAttribute("key"):
		key = val.GetAttr("key")
	case val.Type().IsMapType() && val.IsKnown() && val.HasIndex(cty.StringVal("key")).True():
		key = val.Index(cty.StringVal("key"))
	default:
		add(RuleRemoteStateKey, remoteStateHint, "remote state %q sets no key", rs.Name)
		return read
	}
	if !key.IsKnown() || key.IsNull() || key.Type() != cty.String {
		add(RuleRemoteStateKey, remoteStateHint, "remote state %q: the key cannot be read statically (only var.environment and locals may vary)", rs.Name)
		return read
	}
	raw := key.AsString()
	read.Key = strings.ReplaceAll(raw, envPlaceholder, "${var.environment}")
	read.Stack, read.Environment = stackInKey(raw, exists)
	switch {
	case read.Environment != "":
		add(RuleRemoteStateKey, remoteStateHint,
			"remote state %q: key %q hard-codes environment %q, so every other environment reads %s's state", rs.Name, read.Key, read.Environment, read.Environment)
	case read.Stack != "" && !strings.HasPrefix(raw, envPlaceholder+"/"):
		add(RuleRemoteStateKey, remoteStateHint, "remote state %q: key %q does not start with ${var.environment}/", rs.Name, read.Key)
	}
	if !strings.HasSuffix(raw, StateKeySuffix) || strings.Count(raw, envPlaceholder) > 1 || read.Stack == "" {
		add(RuleRemoteStateKey, remoteStateHint, "remote state %q: key %q is not <env>/<stack>/terraform.tfstate", rs.Name, read.Key)
	}
	return read
}

// stackInKey finds the stack a key names: <env>/<stack>/terraform.tfstate with the environment as the
// placeholder or hard-coded, or (off the scheme) a key whose path is a stack id outright. It returns the
// stack ("" when the key names no clean stack path) and a hard-coded environment.
func stackInKey(key string, exists func(string) bool) (stack, hardEnv string) {
	body := strings.TrimSuffix(key, StateKeySuffix)
	if body == key { // another file name: the directory may still name a stack
		body = path.Dir(key)
	}
	first, rest, found := strings.Cut(body, "/")
	switch {
	case first == envPlaceholder && found:
		return cleanStackPath(rest), ""
	case strings.Contains(body, envPlaceholder):
		return "", ""
	case found && exists(rest):
		return rest, first
	case exists(body):
		return body, "" // no environment segment at all
	case found:
		if s := cleanStackPath(rest); s != "" {
			return s, first // hard-coded environment and a stack that may not exist
		}
	}
	return "", ""
}

func cleanStackPath(p string) string {
	if p == "" {
		return ""
	}
	for _, part := range strings.Split(p, "/") {
		if part == "" || part == "." || part == ".." || strings.Contains(part, envPlaceholder) {
			return ""
		}
	}
	return p
}

// ResolveRemoteState returns the stack a remote-state block reads when it follows every convention,
// else the first problem. Kept for callers that want a yes/no answer; ReadRemoteState tells everything.
func ResolveRemoteState(rs *RemoteState) (string, error) {
	read := ReadRemoteState(&Config{}, rs, func(string) bool { return false })
	if len(read.Problems) > 0 {
		return "", read.Problems[0]
	}
	return read.Stack, nil
}

// staticEvalContext binds what a key may be built from: var.environment (the placeholder),
// var.remote_state (empty), every other declared variable (unknown), the directory's locals (evaluated
// in as many passes as they need), and terraform's pure string and collection functions.
func staticEvalContext(cfg *Config) *hcl.EvalContext {
	vars := map[string]cty.Value{}
	for name := range cfg.Variables {
		vars[name] = cty.DynamicVal
	}
	vars["environment"] = cty.StringVal(envPlaceholder)
	vars["remote_state"] = cty.EmptyObjectVal
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(vars)},
		Functions: staticFunctions,
	}
	locals := map[string]cty.Value{}
	for pass := 0; pass <= len(cfg.Locals); pass++ {
		ctx.Variables["local"] = cty.ObjectVal(locals)
		progress := false
		for name, expr := range cfg.Locals {
			if _, done := locals[name]; done {
				continue
			}
			v, diags := expr.Value(ctx)
			if diags.HasErrors() {
				continue // refers to a local not evaluated yet, or to something only terraform knows
			}
			locals[name], progress = v, true
		}
		if !progress {
			break
		}
	}
	for name := range cfg.Locals {
		if _, ok := locals[name]; !ok {
			locals[name] = cty.DynamicVal
		}
	}
	ctx.Variables["local"] = cty.ObjectVal(locals)
	return ctx
}

var staticFunctions = map[string]function.Function{
	"merge": stdlib.MergeFunc, "format": stdlib.FormatFunc, "join": stdlib.JoinFunc, "lower": stdlib.LowerFunc,
	"upper": stdlib.UpperFunc, "replace": stdlib.ReplaceFunc, "trimprefix": stdlib.TrimPrefixFunc,
	"trimsuffix": stdlib.TrimSuffixFunc, "coalesce": stdlib.CoalesceFunc, "lookup": stdlib.LookupFunc,
	"concat": stdlib.ConcatFunc, "element": stdlib.ElementFunc, "split": stdlib.SplitFunc, "trimspace": stdlib.TrimSpaceFunc,
}

func isTraversal(expr hcl.Expression, names ...string) bool {
	st, ok := expr.(*hclsyntax.ScopeTraversalExpr)
	if !ok || len(st.Traversal) != len(names) || st.Traversal.RootName() != names[0] {
		return false
	}
	for i, n := range names[1:] {
		attr, ok := st.Traversal[i+1].(hcl.TraverseAttr)
		if !ok || attr.Name != n {
			return false
		}
	}
	return true
}
