package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// MotoRunningTasks is what moto reports as every ECS service's running count (MOTO_ECS_SERVICE_RUNNING);
// the seeded service wants exactly this many tasks, so it reads as steady.
const MotoRunningTasks = 2

// MotoURL is the AWS endpoint URL clients use (aws-front, which forwards to moto).
func MotoURL() string { return fmt.Sprintf("http://%s:%d", Host, MotoPort) }

// motoBackendURL is moto itself, behind aws-front.
func motoBackendURL() string { return fmt.Sprintf("http://%s:%d", Host, MotoBackendPort) }

func motoService(python, version string) service {
	return service{
		name: "moto", version: version, ports: []int{MotoBackendPort},
		readyTimeout: 60 * time.Second, stopGrace: 10 * time.Second,
		command: func() (*exec.Cmd, error) {
			cmd := exec.Command(python, "-m", "moto.server", "-H", Host, "-p", strconv.Itoa(MotoBackendPort))
			cmd.Env = append(os.Environ(),
				"MOTO_ECS_SERVICE_RUNNING="+strconv.Itoa(MotoRunningTasks),
				"MOTO_IAM_LOAD_MANAGED_POLICIES=true",
				"PYTHONUNBUFFERED=1",
			)
			return cmd, nil
		},
		ready: func(ctx context.Context) error {
			return httpProbe(ctx, plainHTTP, motoBackendURL()+"/moto-api/", nil, http.StatusOK, "")
		},
	}
}

// awsFrontService is the AWS endpoint clients use: internal/sandbox/awsfront in front of moto, handing
// what moto does not model as AWS does to its stand-ins (ECS deployments that play out), forwarding
// everything else unchanged.
func awsFrontService(binary string) service {
	return service{
		name: "aws-front", version: "project", ports: []int{MotoPort},
		readyTimeout: 30 * time.Second, stopGrace: 10 * time.Second,
		command: func() (*exec.Cmd, error) {
			return exec.Command(binary, "--listen", fmt.Sprintf("%s:%d", Host, MotoPort), "--backend", motoBackendURL()), nil
		},
		ready: func(ctx context.Context) error {
			return httpProbe(ctx, plainHTTP, MotoURL()+"/moto-api/", nil, http.StatusOK, "")
		},
	}
}

// retiredServices are processes earlier versions of the sandbox started under names it no longer
// uses: up and down stop them, so a sandbox started by an older checkout does not hold their ports.
func retiredServices() []service {
	return []service{{name: "ecs-rollout", stopGrace: 10 * time.Second}} // now aws-front
}

// installedMotoVersion reads moto's version from the package metadata (fast: moto is not imported),
// for status; "unknown" when python3 or moto is missing.
func installedMotoVersion() string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "python3", "-c", "import importlib.metadata as m; print(m.version('moto'))").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
