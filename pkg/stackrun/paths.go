package stackrun

import (
	"path"
	"path/filepath"
	"strings"

	"github.com/platformteam/delivery/pkg/blueprint"
)

// stackPaths are the workspace-relative places of one stack in one environment.
type stackPaths struct {
	dir     string // the stack's terraform directory
	work    string // engine scratch: TF_DATA_DIR, generated inputs, fresh plan files
	backend string // environments/<env>/backend.hcl
	key     string // the state key
}

func (r *Runner) paths(id string) stackPaths {
	return stackPaths{
		dir:     path.Join(r.stacksRoot, blueprint.StacksDir, id),
		work:    path.Join(DeliveryDir, "work", r.env.Name, id),
		backend: path.Join(blueprint.EnvironmentsDir, r.env.Name, blueprint.BackendFileName),
		key:     r.env.StateKey(id),
	}
}

// fromDir expresses a workspace-relative path relative to the stack directory (terraform's cwd).
func (p stackPaths) fromDir(target string) string {
	rel, err := filepath.Rel(filepath.FromSlash(p.dir), filepath.FromSlash(target))
	if err != nil {
		return target
	}
	return filepath.ToSlash(rel)
}

func (p stackPaths) workFile(name string) string { return path.Join(p.work, name) }

// savedPlanDir is <PlanDir>/<env>/<stack> on the machine running the engine.
func (r *Runner) savedPlanDir(id string) string {
	return filepath.Join(r.opts.PlanDir, r.env.Name, filepath.FromSlash(id))
}

func isStateLockText(s string) bool { return strings.Contains(s, "Error acquiring the state lock") }
