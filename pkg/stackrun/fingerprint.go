package stackrun

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/platformteam/delivery/pkg/blueprint"
)

// Fingerprint binds a saved plan to everything it was computed from. Each part is kept separately so a
// stale plan can say exactly what changed.
type Fingerprint struct {
	// Files maps each file of the stack and of the modules it uses (workspace-relative) to its sha256.
	Files map[string]string `json:"files"`
	// Inputs is the sha256 of the generated inputs.tfvars.json (tfvars + engine variables).
	Inputs string `json:"inputs"`
	// Backend is the sha256 of backend.hcl plus the state key.
	Backend string `json:"backend"`
	// Upstreams maps each stack read through remote state to the sha256 of the outputs the plan read.
	Upstreams map[string]string `json:"upstreams"`
}

// Differences lists what changed from the saved fingerprint (old) to the current one, for people.
func (old Fingerprint) Differences(cur Fingerprint) []string {
	var out []string
	for _, f := range sortedKeys(old.Files) {
		switch h, ok := cur.Files[f]; {
		case !ok:
			out = append(out, f+" was deleted")
		case h != old.Files[f]:
			out = append(out, f+" changed")
		}
	}
	for _, f := range sortedKeys(cur.Files) {
		if _, ok := old.Files[f]; !ok {
			out = append(out, f+" was added")
		}
	}
	if old.Inputs != cur.Inputs {
		out = append(out, "the environment's tfvars values for this stack changed")
	}
	if old.Backend != cur.Backend {
		out = append(out, "backend.hcl or the state key changed")
	}
	for _, up := range sortedKeys(old.Upstreams) {
		if cur.Upstreams[up] != old.Upstreams[up] {
			out = append(out, "outputs of upstream "+up+" changed since the plan read them")
		}
	}
	return out
}

// localFingerprint hashes the parts known without terraform: files, inputs, backend.
func (r *Runner) localFingerprint(id string) (Fingerprint, error) {
	fp := Fingerprint{Files: map[string]string{}, Upstreams: map[string]string{}}
	st := r.bp.Stacks[id]
	p := r.paths(id)
	if err := r.hashDir(fp.Files, p.dir, false); err != nil {
		return fp, err
	}
	for _, m := range r.bp.ModulesUsedBy(st) {
		if err := r.hashDir(fp.Files, path.Join(r.stacksRoot, m.Dir), true); err != nil {
			return fp, err
		}
	}
	fp.Inputs = sum(r.inputs[id])
	backend, err := os.ReadFile(filepath.Join(r.env.Root, filepath.FromSlash(p.backend)))
	if err != nil {
		return fp, fmt.Errorf("read %s: %w", p.backend, err)
	}
	fp.Backend = sum(append(backend, []byte("\x00key="+p.key)...))
	return fp, nil
}

// hashDir records the sha256 of the files in a workspace-relative dir: only its own files for a stack
// (nested directories are other stacks), everything below it for a module. Dot files are skipped except
// the provider lock file, which changes what terraform installs.
func (r *Runner) hashDir(into map[string]string, dir string, recursive bool) error {
	base := filepath.Join(r.env.Root, filepath.FromSlash(dir))
	return filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("hash %s: %w", dir, err)
		}
		name := d.Name()
		if d.IsDir() {
			if p != base && (!recursive || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(name, ".") && name != ".terraform.lock.hcl" || !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("hash %s: %w", p, err)
		}
		rel, _ := filepath.Rel(r.env.Root, p)
		into[filepath.ToSlash(rel)] = sum(data)
		return nil
	})
}

// outputsDigest hashes a name -> value map of outputs in canonical JSON (sorted keys).
func outputsDigest(values map[string]any) string {
	raw, _ := json.Marshal(values)
	return sum(raw)
}

// stackForKey maps a state key read by a plan back to the stack id ("" when outside the scheme).
func (r *Runner) stackForKey(key string) string {
	prefix := r.env.Name + "/"
	if !strings.HasPrefix(key, prefix) || !strings.HasSuffix(key, blueprint.StateKeySuffix) {
		return ""
	}
	return strings.TrimSuffix(strings.TrimPrefix(key, prefix), blueprint.StateKeySuffix)
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
