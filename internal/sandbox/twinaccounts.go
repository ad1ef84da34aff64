package sandbox

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/kube"
	"github.com/platformteam/delivery/internal/sandbox/moto"
	"github.com/platformteam/delivery/internal/sandbox/proc"
	"github.com/platformteam/delivery/internal/sandbox/twin"
)

// Loopback ports of the twin accounts (the sandbox contract in docs/CONVENTIONS.md).
const (
	IssuerPort             = 4568 // the GitHub-like OIDC issuer
	StagingRegistryPort    = 5002 // the staging account's registry
	ProductionRegistryPort = 5003 // the production account's registry
)

// lenientLocal keeps the local account lenient: calls with credentials moto did not issue (the
// pipeline's local path still passes invented keys inside its containers) act as the local admin
// instead of being refused. Known keys (the env file's laptop keys) are authorized as their user.
// The twin accounts (staging, production) are never lenient.
const lenientLocal = true

// twinLayout is where the twin accounts listen.
func twinLayout() twin.Layout {
	endpoints := map[string]string{}
	for i, env := range ClusterEnvironments {
		endpoints[env] = kube.Cluster{Ports: kube.PortsOf(i)}.EndpointURL()
	}
	return twin.Layout{Host: proc.Host, FrontPort: MotoPort, MotoPort: MotoBackendPort, IssuerPort: IssuerPort,
		RegistryPort: RegistryPort, RegistryPorts: map[string]int{"staging": StagingRegistryPort, "production": ProductionRegistryPort},
		ClusterEndpoints: endpoints}
}

func (l Layout) motoProcess(python, version string) proc.Process {
	return proc.Process{
		Name: "moto", Version: version, Ports: []int{MotoBackendPort}, Files: l.ProcessFiles("moto"),
		ReadyTimeout: 60 * time.Second, StopPolicy: proc.StopPolicy{Grace: 10 * time.Second},
		Command: func() (*exec.Cmd, error) { return moto.Command(python, MotoBackendPort, moto.RunningTasksEnv()), nil },
		Ready:   moto.Ready(motoBackendURL()),
	}
}

// awsFrontProcess is the AWS endpoint, the OIDC issuer and the twin accounts' registries
// (internal/sandbox/awsfront, started from the configuration `up` writes after the bootstrap).
func (l Layout) awsFrontProcess(binary string) proc.Process {
	config := twin.FrontConfigFile(l.StateDir)
	return proc.Process{
		Name: "aws-front", Version: "project", Ports: []int{MotoPort, IssuerPort, StagingRegistryPort, ProductionRegistryPort},
		Files: l.ProcessFiles("aws-front"), ConfigFiles: []string{config}, Executable: binary,
		ReadyTimeout: 30 * time.Second, StopPolicy: proc.StopPolicy{Grace: 10 * time.Second},
		Command: func() (*exec.Cmd, error) { return exec.Command(binary, "--config", config), nil },
		Ready:   proc.HTTPCheck(http.DefaultClient, MotoURL()+"/_twin/health", nil, http.StatusOK, `"ok"`),
	}
}

// motoIdentity names the running moto process (its PID record): the bootstrap belongs to it.
func (l Layout) motoIdentity() string {
	rec, ok, err := proc.ReadRecord(l.ProcessFiles("moto").PID)
	if err != nil || !ok {
		return ""
	}
	return strings.TrimSpace(rec.String())
}

// startAWS brings up moto, bootstraps its accounts when this moto process has not been bootstrapped
// (a moto restart always means a new bootstrap and a full reseed), writes the front's configuration and
// starts the registry and the front. It returns the bootstrap and the accounts.
func startAWS(ctx context.Context, l Layout, out io.Writer, t toolset) (twin.Bootstrap, []twin.Account, error) {
	for _, p := range l.retiredProcesses() {
		if err := p.Stop(out); err != nil {
			return twin.Bootstrap{}, nil, err
		}
	}
	tl := twinLayout()
	accounts, err := twin.LoadAccounts(l.RepoRoot, tl)
	if err != nil {
		return twin.Bootstrap{}, nil, err
	}
	motoProc := l.motoProcess(t.python, t.motoVersion)
	started, err := motoProc.Ensure(ctx, out)
	if err != nil {
		return twin.Bootstrap{}, nil, err
	}
	b, ok, err := twin.ReadBootstrap(l.StateDir)
	if err != nil {
		return b, nil, err
	}
	fresh := started || !ok || b.Moto != l.motoIdentity() || len(b.Admins) != len(accounts)
	for attempt := 0; ; attempt++ {
		if fresh {
			if !started {
				// moto runs with another bootstrap (or none we know of): only a fresh moto bootstraps cleanly.
				fmt.Fprintln(out, "restarting moto: its accounts were not bootstrapped by this sandbox state")
				if err := motoProc.Stop(out); err != nil {
					return b, nil, err
				}
				if _, err := motoProc.Ensure(ctx, out); err != nil {
					return b, nil, err
				}
			}
			fmt.Fprintf(out, "bootstrapping the twin accounts %v in moto\n", accountIDs(accounts))
			if b, err = twin.NewBootstrap(ctx, l.StateDir, tl, accounts, l.motoIdentity()); err != nil {
				return b, nil, err
			}
		}
		cfg := twin.FrontConfig(l.StateDir, tl, accounts, b)
		if lenientLocal {
			cfg.LenientAccount = accounts[0].Env.AccountID
		}
		cfg.EKS.ClusterFile = l.EKSClusterFile()
		if err := twin.WriteFrontConfig(l.StateDir, cfg); err != nil {
			return b, nil, err
		}
		for _, p := range []proc.Process{l.registryProcess(t.registry), l.awsFrontProcess(t.awsFront)} {
			if _, err := p.Ensure(ctx, out); err != nil {
				return b, nil, err
			}
		}
		if twin.BootstrapValid(ctx, tl, b, accounts) {
			return b, accounts, nil
		}
		if attempt > 0 {
			return b, nil, fmt.Errorf("aws-front: the bootstrapped admin identities do not authenticate after a fresh bootstrap; see %s", l.ProcessFiles("aws-front").Log)
		}
		fmt.Fprintln(out, "moto no longer knows the bootstrapped identities (was it reset?): bootstrapping again")
		fresh, started = true, false
	}
}

func accountIDs(accounts []twin.Account) []string {
	var ids []string
	for _, a := range accounts {
		ids = append(ids, a.Env.Name+"="+a.Env.AccountID)
	}
	return ids
}

// seedAccounts seeds every account, records the laptop key and writes the twin declarations.
func seedAccounts(ctx context.Context, l Layout, out io.Writer, b *twin.Bootstrap, accounts []twin.Account) error {
	tl := twinLayout()
	if err := twin.SeedAll(ctx, l.RepoRoot, tl, accounts, b, kubeMinorVersion(kube.KubernetesVersion), MotoRunningTasks, out); err != nil {
		return err
	}
	if err := b.Write(l.StateDir); err != nil {
		return err
	}
	return twin.WriteDeclarations(l.StateDir, tl, accounts)
}

// kubeMinorVersion turns v1.37.2 into 1.37 (EKS versions name a minor release).
func kubeMinorVersion(v string) string {
	var major, minor int
	if _, err := fmt.Sscanf(v, "v%d.%d", &major, &minor); err != nil {
		return v
	}
	return fmt.Sprintf("%d.%d", major, minor)
}
