package blueprint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Directory names of the blueprint layout, relative to the blueprint root.
const (
	ModulesDir = "modules"
	StacksDir  = "stacks"
	// StackFileName is the optional per-stack engine file (depends_on for ordering the code cannot show).
	StackFileName = "stack.hcl"
)

// Blueprint is the parsed modules/ and stacks/ trees of one blueprint root.
type Blueprint struct {
	// Root is the absolute blueprint root (holding modules/ and stacks/).
	Root    string
	Modules map[string]*Module
	Stacks  map[string]*Stack
}

// Module is a reusable module under modules/<name>.
type Module struct {
	Name string
	*Config
}

// Stack is a deployable root module under stacks/; its ID is its path under stacks/, e.g. "shared/vpc".
type Stack struct {
	ID string
	*Config
	// DependsOn lists explicit upstream stack ids from stack.hcl.
	DependsOn []DependsOn
	// StackFile is the stack.hcl path relative to the blueprint root, "" when absent.
	StackFile string
}

// DependsOn is one explicit dependency from stack.hcl with where it was written.
type DependsOn struct {
	Stack string
	File  string
	Line  int
}

// StackIDs returns the stack ids sorted.
func (b *Blueprint) StackIDs() []string {
	ids := make([]string, 0, len(b.Stacks))
	for id := range b.Stacks {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// HasStack reports whether a stack with this id exists.
func (b *Blueprint) HasStack(id string) bool { _, ok := b.Stacks[id]; return ok }

// Load discovers modules/ and stacks/ under root. A directory counts as a module or stack when it holds
// at least one .tf file; a stack's nested directories are other stacks (stacks/apps/demo-app/ecs).
// Syntax errors do not fail Load: they are kept per directory and reported by Lint and Syntax.
func Load(root string) (*Blueprint, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("resolve blueprint root %q: %w", root, err)
	}
	if st, err := os.Stat(filepath.Join(abs, StacksDir)); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s has no %s/ directory: pass --root pointing at a blueprint (a tree with modules/ and stacks/)", abs, StacksDir)
	}
	bp := &Blueprint{Root: abs, Modules: map[string]*Module{}, Stacks: map[string]*Stack{}}
	modDirs, err := terraformDirs(abs, ModulesDir)
	if err != nil {
		return nil, err
	}
	for _, dir := range modDirs {
		cfg, err := ParseDir(abs, dir)
		if err != nil {
			return nil, err
		}
		name := strings.TrimPrefix(dir, ModulesDir+"/")
		bp.Modules[name] = &Module{Name: name, Config: cfg}
	}
	stackDirs, err := terraformDirs(abs, StacksDir)
	if err != nil {
		return nil, err
	}
	for _, dir := range stackDirs {
		cfg, err := ParseDir(abs, dir)
		if err != nil {
			return nil, err
		}
		st := &Stack{ID: strings.TrimPrefix(dir, StacksDir+"/"), Config: cfg}
		if err := st.readStackFile(abs); err != nil {
			return nil, err
		}
		bp.Stacks[st.ID] = st
	}
	return bp, nil
}

// terraformDirs lists directories under root/sub (slash-separated, relative to root) holding .tf files.
// Hidden directories (.terraform) are skipped.
func terraformDirs(root, sub string) ([]string, error) {
	base := filepath.Join(root, sub)
	if _, err := os.Stat(base); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	seen := map[string]bool{}
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && p != base {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".tf") {
			rel, _ := filepath.Rel(root, filepath.Dir(p))
			seen[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", sub, err)
	}
	dirs := make([]string, 0, len(seen))
	for d := range seen {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs, nil
}

// ModuleFor resolves a local module call made from the directory `from` (relative to the root) to the
// blueprint module it names; nil when the source is remote or points outside modules/.
func (b *Blueprint) ModuleFor(from string, call *ModuleCall) *Module {
	if !call.Local() {
		return nil
	}
	target := path.Clean(path.Join(from, call.Source))
	if !strings.HasPrefix(target, ModulesDir+"/") {
		return nil
	}
	return b.Modules[strings.TrimPrefix(target, ModulesDir+"/")]
}

// ModulesUsedBy returns the modules a stack uses, transitively (modules calling modules), sorted by name.
func (b *Blueprint) ModulesUsedBy(st *Stack) []*Module {
	seen := map[string]*Module{}
	var visit func(cfg *Config)
	visit = func(cfg *Config) {
		for _, call := range cfg.ModuleCalls {
			m := b.ModuleFor(cfg.Dir, call)
			if m == nil || seen[m.Name] != nil {
				continue
			}
			seen[m.Name] = m
			visit(m.Config)
		}
	}
	visit(st.Config)
	out := make([]*Module, 0, len(seen))
	for _, m := range seen {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Syntax returns every parse error in the blueprint (malformed HCL with file:line).
func (b *Blueprint) Syntax() Findings {
	var out Findings
	for _, m := range b.Modules {
		out = append(out, m.Syntax...)
	}
	for _, s := range b.Stacks {
		out = append(out, s.Syntax...)
	}
	out.Sort()
	return out
}

// NeedsProviders reports whether terraform init must install providers for the stack: it or a module it
// uses configures or requires a provider, or uses a resource type outside terraform's built-in ones.
func (b *Blueprint) NeedsProviders(st *Stack) bool {
	cfgs := []*Config{st.Config}
	for _, m := range b.ModulesUsedBy(st) {
		cfgs = append(cfgs, m.Config)
	}
	for _, c := range cfgs {
		if len(c.Providers) > 0 || len(c.RequiredProviders) > 0 {
			return true
		}
		for _, t := range c.ResourceTypes {
			if !strings.HasPrefix(t, "terraform_") {
				return true
			}
		}
	}
	return false
}
