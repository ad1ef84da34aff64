package blueprint

import (
	"fmt"
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

// ResolveRemoteState returns the stack id a terraform_remote_state block reads, by evaluating its key
// with var.environment as a placeholder. It fails with a *RemoteStateProblem when the block does not use
// the s3 backend, does not merge var.remote_state, or builds the key outside the scheme.
func ResolveRemoteState(rs *RemoteState) (string, error) {
	if rs.Backend != "s3" {
		return "", &RemoteStateProblem{"remote-state-backend", fmt.Sprintf("remote state %q uses backend %q, not \"s3\"", rs.Name, rs.Backend), `set backend = "s3"`}
	}
	call, ok := rs.Config.(*hclsyntax.FunctionCallExpr)
	if rs.Config == nil || !ok || call.Name != "merge" || len(call.Args) != 2 || !isTraversal(call.Args[0], "var", "remote_state") {
		return "", &RemoteStateProblem{"remote-state-config", fmt.Sprintf("remote state %q does not build its config from var.remote_state", rs.Name), remoteStateHint}
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{
			"environment":  cty.StringVal(envPlaceholder),
			"remote_state": cty.EmptyObjectVal,
		})},
		Functions: map[string]function.Function{"merge": stdlib.MergeFunc},
	}
	val, diags := rs.Config.Value(ctx)
	if diags.HasErrors() || !val.IsKnown() || val.IsNull() || !val.Type().IsObjectType() || !val.Type().HasAttribute("key") {
		return "", &RemoteStateProblem{"remote-state-key", fmt.Sprintf("remote state %q: the key cannot be read statically (only var.environment may vary)", rs.Name), remoteStateHint}
	}
	key := val.GetAttr("key")
	if key.IsNull() || key.Type() != cty.String {
		return "", &RemoteStateProblem{"remote-state-key", fmt.Sprintf("remote state %q: key is not a string", rs.Name), remoteStateHint}
	}
	return StackFromKey(key.AsString(), rs.Name)
}

// StackFromKey checks a key evaluated with the environment placeholder and returns its stack id.
func StackFromKey(key, name string) (string, error) {
	shown := strings.ReplaceAll(key, envPlaceholder, "${var.environment}")
	if !strings.HasPrefix(key, envPlaceholder+"/") {
		return "", &RemoteStateProblem{"remote-state-key",
			fmt.Sprintf("remote state %q: key %q does not start with ${var.environment}/ (hard-coded environments break the other environments)", name, shown), remoteStateHint}
	}
	stack := strings.TrimPrefix(key, envPlaceholder+"/")
	if !strings.HasSuffix(stack, StateKeySuffix) || strings.Contains(stack, envPlaceholder) {
		return "", &RemoteStateProblem{"remote-state-key", fmt.Sprintf("remote state %q: key %q is not <env>/<stack>/terraform.tfstate", name, shown), remoteStateHint}
	}
	stack = strings.TrimSuffix(stack, StateKeySuffix)
	for _, part := range strings.Split(stack, "/") {
		if part == "" || part == "." || part == ".." {
			return "", &RemoteStateProblem{"remote-state-key", fmt.Sprintf("remote state %q: key %q names no clean stack path", name, shown), remoteStateHint}
		}
	}
	return stack, nil
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
