package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/platformteam/delivery/internal/sandbox/proc"
)

// MissingPrerequisiteError names something the machine lacks and how to get it.
type MissingPrerequisiteError struct {
	What string
	Fix  string
	Err  error
}

func (e *MissingPrerequisiteError) Error() string {
	msg := "missing prerequisite: " + e.What
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	return msg + "; " + e.Fix
}

func (e *MissingPrerequisiteError) Unwrap() error { return e.Err }

// checkMoto verifies that python3 can import moto with its server extras (Flask), which cannot be
// installed offline: the machine image must provide them.
func checkMoto(ctx context.Context) (python string, motoVersion string, err error) {
	python, err = exec.LookPath("python3")
	if err != nil {
		return "", "", &MissingPrerequisiteError{What: "python3", Fix: "install Python 3 with moto[server] (pip install 'moto[server]'), or use the project's machine image"}
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", "import flask, moto, moto.server; print(moto.__version__)").CombinedOutput()
	if err != nil {
		return "", "", &MissingPrerequisiteError{
			What: "the moto AWS mock server for " + python,
			Fix:  "install it with: " + python + " -m pip install 'moto[server]' (PyPI is not reachable offline: use the project's machine image, which has moto 5.x preinstalled)",
			Err:  errors.New(proc.LastLines(strings.TrimSpace(string(out)), 1)),
		}
	}
	return python, strings.TrimSpace(string(out)), nil
}

// ensureRegistryBinary finds Debian's docker-registry and installs the package when it is missing
// and we may (root with apt-get); otherwise it says how to install it.
func ensureRegistryBinary(ctx context.Context, progress io.Writer) (string, error) {
	if p, err := exec.LookPath("docker-registry"); err == nil {
		return p, nil
	}
	fix := "install it with: sudo apt-get update && sudo apt-get install -y --no-install-recommends docker-registry"
	apt, err := exec.LookPath("apt-get")
	if err != nil || os.Geteuid() != 0 {
		return "", &MissingPrerequisiteError{What: "docker-registry (the OCI registry, Debian package docker-registry)", Fix: fix}
	}
	fmt.Fprintln(progress, "installing the Debian package docker-registry (the sandbox's OCI registry)")
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "docker-registry"}} {
		cmd := exec.CommandContext(ctx, apt, args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", &MissingPrerequisiteError{What: "docker-registry", Fix: fix,
				Err: fmt.Errorf("apt-get %s: %w: %s", args[0], err, proc.LastLines(string(out), 5))}
		}
	}
	p, err := exec.LookPath("docker-registry")
	if err != nil {
		return "", &MissingPrerequisiteError{What: "docker-registry", Fix: fix, Err: errors.New("installed but not on PATH")}
	}
	return p, nil
}
