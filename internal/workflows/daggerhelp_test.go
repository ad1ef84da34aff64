package workflows

import (
	"reflect"
	"testing"
)

// The shape of `dagger call apply --help` (Dagger v0.19), colours included.
const applyHelp = "Apply the stacks.\n\n\x1b[1mUSAGE\x1b[0m\n  dagger call apply [arguments]\n\n\x1b[1mARGUMENTS\x1b[0m\n" +
	"      --env string            Environment under environments/. [required]\n" +
	"      --approve               Confirm applying the reviewed bundle to a\n                              production environment.\n" +
	"      --bundle plan           The plan bundle to apply (the directory\n                              plan returned).\n" +
	"      --format string         text, markdown or json. (default \"text\")\n" +
	"      --lock-timeout string   How long to wait\n                              (default \"5m\") [required]\n\n" +
	"\x1b[1mOPTIONS\x1b[0m\n  -o, --output string       Save the result\n"

const moduleHelp = "\x1b[1mUSAGE\x1b[0m\n  dagger call [options] [arguments] <function>\n\n\x1b[1mFUNCTIONS\x1b[0m\n" +
	"  apply          Apply the environment's stacks in dependency order; a failed\n                 stack stops its dependents.\n" +
	"  deploy-ecs     Roll out.\n\n\x1b[1mARGUMENTS\x1b[0m\n      --commit string                  \n                                       Full or short git commit.\n"

func TestParseDaggerHelp(t *testing.T) {
	h := ParseDaggerHelp(applyHelp)
	want := map[string]bool{"env": true, "approve": false, "bundle": false, "format": false, "lock-timeout": true}
	if !reflect.DeepEqual(h.Arguments, want) {
		t.Errorf("arguments %v, want %v", h.Arguments, want)
	}
	fn := Function{Name: "apply", Flags: map[string]Flag{"env": {Name: "env", Required: true}, "approve": {Name: "approve"}, "bundle": {Name: "bundle"}, "format": {Name: "format"}, "lock-timeout": {Name: "lock-timeout"}, "stack": {Name: "stack"}}}
	got := CompareHelp(fn, h)
	wantDiff := []string{"--lock-timeout: required false from the source, true in dagger call --help", "--stack is read from the source but not in dagger call --help"}
	if !reflect.DeepEqual(got, wantDiff) {
		t.Errorf("differences %q, want %q", got, wantDiff)
	}
	m := ParseDaggerHelp(moduleHelp)
	if !reflect.DeepEqual(m.Functions, []string{"apply", "deploy-ecs"}) || !reflect.DeepEqual(m.Arguments, map[string]bool{"commit": false}) {
		t.Errorf("module help %+v", m)
	}
}
