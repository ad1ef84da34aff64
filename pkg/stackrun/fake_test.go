package stackrun

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTerraform is an Executor that pretends to be terraform: every stack plans one resource to add,
// applies it, and reports outputs. It records the invocations and the maximum concurrency seen. Plans are
// real plan-file zips holding the prior state's lineage and serial and a dependency lock.
type fakeTerraform struct {
	mu          sync.Mutex
	calls       []Invocation
	running     int
	maxRunning  int
	delay       time.Duration
	failApply   map[string]bool
	lockedStack string
	// readOutputs is what upstream outputs every plan read (digested into the bundle).
	readOutputs string
	// currentOutputs is what `output -json` returns now; afterApply replaces it when that stack is applied.
	currentOutputs string
	afterApply     map[string]string
	// outputChanges marks stacks whose plan changes outputs.
	outputChanges map[string]bool
	// serial is each stack's state serial; staleAtApply makes terraform refuse the saved plan.
	serial       map[string]int
	staleAtApply map[string]bool
	// drifted marks stacks a refresh-only plan finds changed outside Terraform; inSync ones have no
	// unapplied code either.
	drifted, inSync map[string]bool
	lastMode        map[string]string
	applyEnds       map[string]time.Time
	starts          map[string]time.Time
	applied         map[string][]byte // stack -> the plan bytes apply was given
	// unchanged marks stacks whose (normal) plan has no changes.
	unchanged map[string]bool
	// failInit makes a stack's init fail.
	failInit map[string]bool
	// execs lists, per stack, the commands of each executor run ("init+plan+show").
	execs map[string][]string
	// runPlan is the plan file a plan wrote in the executor run under way, per stack.
	runPlan map[string][]byte
}

func newFake() *fakeTerraform {
	return &fakeTerraform{failApply: map[string]bool{}, applyEnds: map[string]time.Time{}, starts: map[string]time.Time{},
		readOutputs: `{"id":"one"}`, currentOutputs: `{"id":{"sensitive":false,"type":"string","value":"one"}}`,
		afterApply: map[string]string{}, outputChanges: map[string]bool{}, serial: map[string]int{}, staleAtApply: map[string]bool{},
		drifted: map[string]bool{}, inSync: map[string]bool{}, lastMode: map[string]string{}, applied: map[string][]byte{},
		failInit: map[string]bool{}, execs: map[string][]string{}, runPlan: map[string][]byte{}, unchanged: map[string]bool{}}
}

// fakePlanFile is a plan file as terraform writes it: a zip with the prior state and the lock file.
func fakePlanFile(stack string, serial int) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"tfplan":              "PLAN " + stack,
		"tfstate":             fmt.Sprintf(`{"version":4,"terraform_version":"1.11.4","serial":%d,"lineage":"lineage-%s"}`, serial, strings.ReplaceAll(stack, "/", "-")),
		".terraform.lock.hcl": "provider \"hashicorp/aws\" {\n  version = \"5.100.0\"\n  constraints = \"~> 5.0\"\n}\n",
	} {
		w, _ := zw.Create(name)
		_, _ = w.Write([]byte(body))
	}
	_ = zw.Close()
	return buf.Bytes()
}

// Run runs a chain of invocations as one executor run, as the container executor runs it in one exec,
// and records which commands that run ran (execs).
func (f *fakeTerraform) Run(ctx context.Context, inv Invocation) (Result, error) {
	res, err := f.chain(ctx, inv)
	f.mu.Lock()
	delete(f.runPlan, inv.Stack) // a plan file written in a run is gone after it (the exec's tmpfs)
	f.mu.Unlock()
	var ran []string
	for i, r := inv, &res; r != nil; r = r.Then {
		ran = append(ran, i.Args[0])
		if i.Then == nil {
			break
		}
		i = *i.Then
	}
	f.mu.Lock()
	f.execs[inv.Stack] = append(f.execs[inv.Stack], strings.Join(ran, "+"))
	f.mu.Unlock()
	return res, err
}

func (f *fakeTerraform) chain(ctx context.Context, inv Invocation) (Result, error) {
	res, err := f.run(ctx, inv)
	if err == nil && inv.Then != nil && slices.Contains(inv.ThenOn, res.ExitCode) {
		then, terr := f.chain(ctx, *inv.Then)
		res.Then, err = &then, terr
	}
	return res, err
}

func (f *fakeTerraform) run(ctx context.Context, inv Invocation) (Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, inv)
	f.running++
	f.maxRunning = max(f.maxRunning, f.running)
	if _, ok := f.starts[inv.Stack]; !ok {
		f.starts[inv.Stack] = time.Now()
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running--
		f.mu.Unlock()
	}()
	if f.delay > 0 && (inv.Args[0] == "apply" || inv.Args[0] == "plan") {
		time.Sleep(f.delay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	args := strings.Join(inv.Args, " ")
	res := Result{}
	switch inv.Args[0] {
	case "init":
		res.Stdout = []byte("Initializing the backend...\n")
		if f.failInit[inv.Stack] {
			res.ExitCode = 1
			res.Stderr = []byte("Error: Failed to get existing workspaces: S3 bucket \"b\" does not exist.\n")
		}
	case "plan":
		mode := "normal"
		switch {
		case strings.Contains(args, "-refresh-only"):
			mode = "refresh-only"
		case strings.Contains(args, "-refresh=false"):
			mode = "no-refresh"
		}
		f.lastMode[inv.Stack] = mode
		res.ExitCode = 2
		if mode == "refresh-only" && !f.drifted[inv.Stack] || mode == "no-refresh" && f.inSync[inv.Stack] || mode == "normal" && f.unchanged[inv.Stack] {
			res.ExitCode = 0
		}
		res.Stdout = []byte(fmt.Sprintf("plan line 1 of %s\nplan line 2 of %s\nPlan: 1 to add, 0 to change, 0 to destroy.\n", inv.Stack, inv.Stack))
		res.Files = map[string][]byte{inv.Collect[0]: fakePlanFile(inv.Stack, f.serial[inv.Stack])}
		f.runPlan[inv.Stack] = res.Files[inv.Collect[0]]
	case "show":
		changes := `"resource_changes":[{"address":"terraform_data.this","mode":"managed","type":"terraform_data","name":"this","change":{"actions":["create"]}}]`
		if f.lastMode[inv.Stack] == "refresh-only" {
			changes = `"resource_drift":[{"address":"aws_s3_bucket.logs","mode":"managed","type":"aws_s3_bucket","name":"logs","change":{"actions":["update"]}}]`
		}
		outputs := ""
		if f.outputChanges[inv.Stack] {
			outputs = `"output_changes":{"id":{"actions":["update"]}},`
		}
		res.Stdout = []byte(fmt.Sprintf(`{"format_version":"1.2","terraform_version":"1.11.4",%s %s,
			"prior_state":{"format_version":"1.0","values":{"root_module":{"resources":[{"address":"data.terraform_remote_state.up","mode":"data","type":"terraform_remote_state","name":"up",
			"values":{"config":{"key":"dev/core/net/terraform.tfstate"},"outputs":%s}}]}}}}`, outputs, changes, f.readOutputs))
	case "apply":
		if inv.Stack == f.lockedStack {
			res.ExitCode = 1
			res.Stderr = []byte("Error: Error acquiring the state lock\n\nLock Info:\n  ID:        1234-abcd\n  Path:      b/k.tflock\n  Operation: OperationTypeApply\n  Who:       alice@laptop\n  Version:   1.11.4\n  Created:   2026-11-25 10:00:00.123456 +0000 UTC\n")
			return res, nil
		}
		if f.staleAtApply[inv.Stack] {
			res.ExitCode = 1
			res.Stderr = []byte("Error: Saved plan is stale\n\nThe given plan file can no longer be applied because the state was changed by another operation after the plan was created.\n")
			return res, nil
		}
		if f.failApply[inv.Stack] {
			res.ExitCode = 1
			res.Stderr = []byte("Error: creating thing: boom\n")
			return res, nil
		}
		plan, ok := f.runPlan[inv.Stack] // a plan file written earlier in this run
		for _, data := range inv.Files {
			plan, ok = data, true
		}
		if !ok {
			res.ExitCode = 1
			res.Stderr = []byte("Error: Failed to load \"plan.tfplan\" as a plan file\n")
			return res, nil
		}
		f.applied[inv.Stack] = plan
		res.Stdout = []byte("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.\n")
		f.applyEnds[inv.Stack] = time.Now()
		f.serial[inv.Stack]++
		if o, ok := f.afterApply[inv.Stack]; ok {
			f.currentOutputs = o
		}
	case "output":
		res.Stdout = []byte(f.currentOutputs)
	case "state":
		res.Stdout = []byte(fmt.Sprintf(`{"version":4,"serial":%d,"lineage":"lineage-%s","resources":[]}`, f.serial[inv.Stack], strings.ReplaceAll(inv.Stack, "/", "-")))
	case "force-unlock":
		res.Stdout = []byte("Terraform state has been successfully unlocked!\n")
	default:
		return res, fmt.Errorf("fake terraform: unexpected command %v", inv.Args)
	}
	return res, nil
}

func (f *fakeTerraform) commands(stack string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if c.Stack == stack {
			out = append(out, c.Args[0])
		}
	}
	return out
}

const deliveryYAML = `account_id: "123456789012"
region: ap-southeast-2
image: {repository: demo-app}
ecs: {cluster: demo, service: demo-app}
eks: {cluster: demo, namespace: demo, release: demo-app, chart: charts/demo-app}
`

// fixtureRepo writes a repository with environment dev and stacks reading each other.
func fixtureRepo(t *testing.T, reads map[string][]string, extra map[string]string) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"environments/dev/delivery.yaml": deliveryYAML,
		"environments/dev/backend.hcl":   "bucket = \"b\"\nregion = \"ap-southeast-2\"\nuse_lockfile = true\n",
		"environments/dev/values.tfvars": "size = 2\n",
	}
	for id, ups := range reads {
		body := "terraform {\n  backend \"s3\" {}\n}\nvariable \"environment\" {\n  type = string\n}\nvariable \"remote_state\" {\n  type = any\n}\nvariable \"size\" {\n  type = number\n}\n"
		for i, up := range ups {
			body += fmt.Sprintf("data \"terraform_remote_state\" \"r%d\" {\n  backend = \"s3\"\n  config  = merge(var.remote_state, { key = \"${var.environment}/%s/terraform.tfstate\" })\n}\n", i, up)
		}
		files["stacks/"+id+"/main.tf"] = body
	}
	for k, v := range extra {
		files[k] = v
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

var diamondChain = map[string][]string{
	"core/net":   nil,
	"core/left":  {"core/net"},
	"core/right": {"core/net"},
	"core/join":  {"core/left", "core/right"},
	"app/one":    {"core/join"},
	"app/two":    {"app/one"},
	"misc/lone":  nil,
}

func newRunner(t *testing.T, root string, fake *fakeTerraform, mutate func(*Options)) (*Runner, *strings.Builder) {
	t.Helper()
	out := &strings.Builder{}
	opts := Options{Root: root, Environment: "dev", Executor: fake, Out: &lockedWriter{b: out}, Progress: &lockedWriter{b: &strings.Builder{}}}
	if mutate != nil {
		mutate(&opts)
	}
	r, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return r, out
}

type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
