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

// MotoURL is the AWS endpoint URL clients use (the ECS rollout simulator, which forwards to moto).
func MotoURL() string { return fmt.Sprintf("http://%s:%d", Host, MotoPort) }

// motoBackendURL is moto itself, behind the simulator.
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

// ecsRolloutService is the AWS endpoint clients use: pkg/ecsrollout in front of moto, playing out ECS
// deployments (moto keeps reporting the old deployment forever), forwarding everything else unchanged.
func ecsRolloutService(binary string) service {
	return service{
		name: "ecs-rollout", version: "project", ports: []int{MotoPort},
		readyTimeout: 30 * time.Second, stopGrace: 10 * time.Second,
		command: func() (*exec.Cmd, error) {
			return exec.Command(binary, "--listen", fmt.Sprintf("%s:%d", Host, MotoPort), "--backend", motoBackendURL()), nil
		},
		ready: func(ctx context.Context) error {
			return httpProbe(ctx, plainHTTP, MotoURL()+"/moto-api/", nil, http.StatusOK, "")
		},
	}
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
