package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"sort"
	"strconv"
	"sync"
	"time"

	"dagger/delivery/enginefault"
	"dagger/delivery/internal/dagger"

	"github.com/platformteam/delivery/pkg/stackrun"
)

// containerExecutor runs the stack engine's terraform invocations in containers, each through the
// supervisor `stacks exec` (see stackrun.Supervise). Invocations of one stack continue from that
// stack's previous container, so `init` state (TF_DATA_DIR) carries over to `plan` and `apply`; stacks
// run in parallel, each in its own chain, so their output never interleaves.
//
//   - One round trip per invocation: the request goes in as a file, the exec runs, and one read of the
//     result file returns exit code, stdout, stderr and the collected files together.
//   - Nothing sensitive in a layer: request and result are sealed with a per-run key that enters the
//     container only as a secret variable; the plaintext inputs and plans live on a tmpfs mounted at
//     stackrun.PrivateDir for that one exec.
//   - Graceful cancel: with a cancel beacon every supervisor interrupts its terraform itself when the
//     beacon closes (the engine would SIGKILL a cancelled exec), and the first supervisor that reports it
//     cancels the runner, which then starts nothing new.
type containerExecutor struct {
	base      *dagger.Container // toolbox with credentials and the source at srcRoot
	binary    string
	key       []byte
	keySecret *dagger.Secret
	beacon    string // host:port of the cancel beacon inside containers, "" without one
	onCancel  func() // cancels the runner
	grace     time.Duration

	mu     sync.Mutex
	chains map[string]*dagger.Container
	seq    int
}

// beaconAlias is the host name of the cancel beacon in terraform containers.
const beaconAlias = "cancel-beacon"

// execDir holds the sealed requests and results in a container (ciphertext only).
const execDir = "/delivery-exec"

func newContainerExecutor(ctx context.Context, base *dagger.Container, binary string, beacon *dagger.Service, onCancel func()) (*containerExecutor, error) {
	key, err := stackrun.NewSealKey()
	if err != nil {
		return nil, err
	}
	e := &containerExecutor{binary: binary, key: key, onCancel: onCancel, grace: 60 * time.Second, chains: map[string]*dagger.Container{}}
	e.keySecret = dag.SetSecret("delivery-seal-key-"+hex.EncodeToString(key[:6]), hex.EncodeToString(key))
	if beacon != nil {
		port, err := servicePort(ctx, beacon)
		if err != nil {
			return nil, fmt.Errorf("--cancel-beacon: %w (pass tcp://127.0.0.1:PORT; stacks guard does)", err)
		}
		base = base.WithServiceBinding(beaconAlias, beacon)
		e.beacon = net.JoinHostPort(beaconAlias, strconv.Itoa(port))
	}
	e.base = base.WithSecretVariable("DELIVERY_SEAL_KEY", e.keySecret)
	return e, nil
}

// servicePort is the (first) port a host service forwards, which a container bound to it reaches on the
// same number.
func servicePort(ctx context.Context, svc *dagger.Service) (int, error) {
	if ports, err := svc.Ports(ctx); err == nil && len(ports) > 0 {
		return ports[0].Port(ctx)
	}
	ep, err := svc.Endpoint(ctx)
	if err != nil {
		return 0, err
	}
	_, port, err := net.SplitHostPort(ep)
	if err != nil {
		return 0, fmt.Errorf("endpoint %q: %w", ep, err)
	}
	return strconv.Atoi(port)
}

// Run implements stackrun.Executor.
func (e *containerExecutor) Run(ctx context.Context, inv stackrun.Invocation) (stackrun.Result, error) {
	e.mu.Lock()
	ctr, ok := e.chains[inv.Dir]
	if !ok {
		ctr = e.base
	}
	e.seq++
	seq := e.seq
	e.mu.Unlock()

	req := stackrun.ContainerRequest{Invocation: inv, Binary: e.binary, Grace: e.grace, CancelBeacon: e.beacon}
	if dl, ok := ctx.Deadline(); ok {
		req.Deadline = dl
	}
	sealed, err := stackrun.Seal(e.key, req)
	if err != nil {
		return stackrun.Result{}, err
	}
	reqPath, resPath := path.Join(execDir, fmt.Sprintf("%d.request", seq)), path.Join(execDir, fmt.Sprintf("%d.result", seq))
	ctr = fresh(ctr.
		WithNewFile(reqPath, sealed, dagger.ContainerWithNewFileOpts{Permissions: 0o600}).
		WithMountedTemp(path.Join(srcRoot, stackrun.PrivateDir)).
		WithEnvVariable("DELIVERY_STACK", inv.Stack)).
		WithExec([]string{"stacks", "exec", "--workspace", srcRoot, "--request", reqPath, "--result", resPath})
	start := time.Now()
	// The exec is never cancelled through ctx: the engine would SIGKILL terraform. The supervisor stops
	// it gracefully on the beacon or the deadline instead.
	text, err := ctr.File(resPath).Contents(context.WithoutCancel(ctx))
	if err != nil && notStarted(err) {
		// The engine failed to set up the container (a mount), so the supervisor and terraform never
		// ran: running the same exec again is safe. Once, and said.
		fmt.Fprintf(os.Stderr, "%s: the engine could not start the container (%v); starting it again\n", inv.Stack, err)
		text, err = ctr.File(resPath).Contents(context.WithoutCancel(ctx))
	}
	if err != nil {
		return stackrun.Result{}, fmt.Errorf("run %s %s for %s: %w", e.binary, firstArg(inv.Args), inv.Stack, err)
	}
	var res stackrun.ContainerResult
	if err := stackrun.Unseal(e.key, text, &res); err != nil {
		return stackrun.Result{}, fmt.Errorf("read the result of %s %s for %s: %w", e.binary, firstArg(inv.Args), inv.Stack, err)
	}
	res.Duration = time.Since(start)
	e.mu.Lock()
	e.chains[inv.Dir] = ctr
	e.mu.Unlock()
	switch {
	case res.Interrupted != "":
		if res.Interrupted == stackrun.InterruptCancelled && e.onCancel != nil {
			e.onCancel()
		}
		return res.Result, &stackrun.InterruptedError{Stack: inv.Stack, Command: e.binary + " " + firstArg(stackrun.LastRun(inv, res.Result).Args), Reason: res.Interrupted}
	case res.Error != "":
		return res.Result, errors.New(res.Error)
	}
	return res.Result, nil
}

// notStarted is an engine error from before the container's process started (enginefault): never an
// exec error, where the process ran.
func notStarted(err error) bool {
	var execErr *dagger.ExecError
	return !errors.As(err, &execErr) && enginefault.NotStarted(err)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}
