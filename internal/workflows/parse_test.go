package workflows

import (
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestKebabCase(t *testing.T) {
	for in, want := range map[string]string{
		"awsAccessKeyID": "aws-access-key-id", "DeployEcs": "deploy-ecs", "kubeAPI": "kube-api",
		"changedFiles": "changed-files", "env": "env", "ForceUnlock": "force-unlock", "lockTimeout": "lock-timeout",
	} {
		if got := KebabCase(in); got != want {
			t.Errorf("KebabCase(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestShellCommands(t *testing.T) {
	env := map[string]string{"ENV": "staging", "BUNDLE": "out/my plan", "EMPTY": ""}
	cmds, unset, err := ShellCommands("go run ./cmd/stacks guard -- dagger call \\\n  apply --env \"$ENV\" ${BUNDLE:+--bundle \"$BUNDLE\" --approve} ${EMPTY:+--x} $MISSING 'a b'# not a comment\n"+
		"eval \"$(aws configure export-credentials --profile apply)\" && echo ${ENV:-dev} ${NONE:-dflt}; x | y # comment", env)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"go", "run", "./cmd/stacks", "guard", "--", "dagger", "call", "apply", "--env", "staging", "--bundle", "out/my plan", "--approve", "a b#", "not", "a", "comment"},
		{"eval", "$(aws configure export-credentials --profile apply)"},
		{"echo", "staging", "dflt"},
		{"x"}, {"y"},
	}
	if !reflect.DeepEqual(cmds, want) {
		t.Errorf("commands\n got %q\nwant %q", cmds, want)
	}
	if !reflect.DeepEqual(unset, []string{"MISSING"}) {
		t.Errorf("unset %v", unset)
	}
	if _, _, err := ShellCommands(`echo "open`, nil); err == nil {
		t.Error("an unterminated quote parsed")
	}
}

func TestExpandExpressions(t *testing.T) {
	c := Contexts{GitHub: map[string]string{"sha": "abc"}, Matrix: map[string]string{"env": "staging"}, Vars: map[string]string{"R": "arn"}, VarsOf: "the GitHub environment x"}
	got, err := ExpandExpressions("${{ matrix.env }}-plan ${{github.sha}} ${{ vars.R }}", c)
	if err != nil || got != "staging-plan abc arn" {
		t.Errorf("got %q, %v", got, err)
	}
	for expr, msg := range map[string]string{
		"${{ vars.NOPE }}":                 "has no value in the GitHub environment x",
		"${{ secrets.X }}":                 "the secrets context is not modelled",
		"${{ github.ref == 'refs/x' }}":    "is not a plain context path",
		"${{ steps.dagger.outputs.version": "unterminated",
	} {
		if _, err := ExpandExpressions(expr, c); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want one containing %q", expr, err, msg)
		}
	}
}

func TestParseCallAgainstTheModule(t *testing.T) {
	m, err := LoadModule(repoRoot+"/"+ModuleDir, ModuleObject)
	if err != nil {
		t.Fatal(err)
	}
	call, err := m.ParseCall(strings.Fields("--commit abc apply --env production --bundle out/plan --approve --format json -o out/r.json"))
	if err != nil {
		t.Fatal(err)
	}
	if call.ModuleFlags["commit"] != "abc" || call.Output != "out/r.json" || call.Chain[0].Flags["format"] != "json" {
		t.Errorf("parsed %+v", call)
	}
	if _, ok := call.Chain[0].Flags["approve"]; !ok {
		t.Errorf("--approve (a boolean) lost: %+v", call)
	}
	for args, msg := range map[string]string{
		"plan --env staging export":            "export needs --path",
		"plan --env":                           "plan --env needs a value",
		"--aws-key x plan --env staging":       "(the module's constructor) has no flag --aws-key",
		"deploy --env staging export --path x": "deploy returns a value, not an object",
		"verify --env staging":                 "verify needs --artifact",
		"":                                     "names no function",
		"plan --env staging entries":           `Directory has no function "entries"`,
	} {
		if _, err := m.ParseCall(strings.Fields(args)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("dagger call %s: error %v, want one containing %q", args, err, msg)
		}
	}
}

func TestLintSyntheticWorkflow(t *testing.T) {
	wf, err := ParseWorkflow(".github/workflows/x.yml", []byte(`
on: [push, workflow_dispatch]
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-latest
    environment: staging
    permissions:
      contents: write
      id-token: write
    steps:
      - uses: actions/checkout@v4
      - run: dagger call lint
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range Lint([]Workflow{wf}) {
		got = append(got, f.String())
	}
	want := []string{
		"x: the workflow must declare `permissions: {}` so that every job asks for what it uses",
		"x/build: permission contents: write is not used by the job (it uses contents: read)",
		"x/build: permission id-token: write is not used by the job (it uses contents: read)",
		"x/build: uses contents: read but does not declare it",
		"x/build: step \"actions/checkout@v4\": the checkout is sent to Dagger, so it needs `persist-credentials: false` (else the token is in .git/config)",
		"x/build: workflow_dispatch can start it on any branch: guard it with `if: github.ref == 'refs/heads/main'`",
	}
	if strings.Join(sortStrings(got), "\n") != strings.Join(sortStrings(want), "\n") {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
