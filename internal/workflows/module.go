package workflows

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// Module is the Dagger module's API as the CLI shows it: the constructor's flags and the functions of
// each object type, read from the module's Go source (no engine needed).
type Module struct {
	Constructor Function
	// Objects maps a type ("Delivery", "Directory", "File") to its functions by CLI name.
	Objects map[string]map[string]Function
	Root    string // the module's object type
}

// Function is one function: its CLI name, flags by CLI name and the type it returns.
type Function struct {
	Name    string
	Flags   map[string]Flag
	Returns string // object type ("Directory") or "" for a scalar
}

// Flag is one argument of a function.
type Flag struct {
	Name     string
	Bool     bool // takes no value
	Required bool
	Ignore   []string // a directory argument's +ignore patterns, as written
}

// FlagNames lists a function's flags, sorted, for messages.
func (f Function) FlagNames() []string {
	var out []string
	for n := range f.Flags {
		out = append(out, "--"+n)
	}
	sort.Strings(out)
	return out
}

// coreObjects are the Dagger core types' functions the workflows chain after a module function.
var coreObjects = map[string]map[string]Function{
	"Directory": {
		"export": {Name: "export", Flags: map[string]Flag{"path": {Name: "path", Required: true}, "wipe": {Name: "wipe", Bool: true}}},
	},
	"File": {
		"export": {Name: "export", Flags: map[string]Flag{"path": {Name: "path", Required: true}, "allow-parent-dir-path": {Name: "allow-parent-dir-path", Bool: true}}},
	},
}

// LoadModule reads the Go Dagger module in dir (ci/): the constructor New and the exported methods of
// the module's object type, with their parameters' +optional and +default pragmas.
func LoadModule(dir, object string) (*Module, error) {
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	m := &Module{Objects: map[string]map[string]Function{object: {}}, Root: object}
	for k, v := range coreObjects {
		m.Objects[k] = v
	}
	found := false
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") || filepath.Base(path) == "dagger.gen.go" {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("parse the Dagger module: %w", err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || !fd.Name.IsExported() {
				continue
			}
			switch {
			case fd.Recv == nil && fd.Name.Name == "New":
				if m.Constructor, err = function(f, fd, ""); err != nil {
					return nil, fmt.Errorf("%s: the constructor: %w", path, err)
				}
				found = true
			case fd.Recv != nil && receiverType(fd) == object:
				fn, err := function(f, fd, KebabCase(fd.Name.Name))
				if err != nil {
					return nil, fmt.Errorf("%s: %w", path, err)
				}
				m.Objects[object][fn.Name] = fn
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("no constructor New in the Dagger module under %s", dir)
	}
	if len(m.Objects[object]) == 0 {
		return nil, fmt.Errorf("no exported functions of %s in the Dagger module under %s", object, dir)
	}
	return m, nil
}

func receiverType(fd *ast.FuncDecl) string {
	t := fd.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

func function(f *ast.File, fd *ast.FuncDecl, name string) (Function, error) {
	fn := Function{Name: name, Flags: map[string]Flag{}}
	prevEnd := fd.Type.Params.Opening
	for _, field := range fd.Type.Params.List {
		typ := typeString(field.Type)
		pragmas := commentsBetween(f, prevEnd, field.Pos())
		prevEnd = field.End()
		if typ == "context.Context" {
			continue
		}
		optional := strings.Contains(pragmas, "+optional") || strings.Contains(pragmas, "+default=") || strings.Contains(pragmas, "+defaultPath=")
		ignore, err := ignorePragma(pragmas)
		if err != nil {
			return Function{}, fmt.Errorf("%s %s: %w", name, KebabCase(field.Names[0].Name), err)
		}
		for _, n := range field.Names {
			fl := Flag{Name: KebabCase(n.Name), Bool: typ == "bool", Required: !optional, Ignore: ignore}
			fn.Flags[fl.Name] = fl
		}
	}
	if fd.Type.Results != nil && len(fd.Type.Results.List) > 0 {
		ret := typeString(fd.Type.Results.List[0].Type)
		ret = strings.TrimPrefix(strings.TrimPrefix(ret, "*"), "dagger.")
		if ret != "" && unicode.IsUpper(rune(ret[0])) {
			fn.Returns = ret
		}
	}
	return fn, nil
}

// ignorePragma is a parameter's +ignore=[...] list (a JSON array of patterns, on one line or split over
// comment lines), nil without one.
func ignorePragma(pragmas string) ([]string, error) {
	_, rest, ok := strings.Cut(pragmas, "+ignore=")
	if !ok {
		return nil, nil
	}
	lines := strings.Split(rest, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(strings.TrimSpace(l), "//")
	}
	var patterns []string
	if err := json.NewDecoder(strings.NewReader(strings.Join(lines, "\n"))).Decode(&patterns); err != nil {
		return nil, fmt.Errorf("+ignore is not a JSON list of patterns: %w", err)
	}
	return patterns, nil
}

func commentsBetween(f *ast.File, from, to token.Pos) string {
	var b strings.Builder
	for _, cg := range f.Comments {
		if cg.Pos() > from && cg.End() <= to {
			for _, c := range cg.List {
				b.WriteString(c.Text)
				b.WriteByte('\n')
			}
		}
	}
	return b.String()
}

func typeString(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.StarExpr:
		return "*" + typeString(t.X)
	case *ast.SelectorExpr:
		return typeString(t.X) + "." + t.Sel.Name
	case *ast.ArrayType:
		return "[]" + typeString(t.Elt)
	}
	return fmt.Sprintf("%T", e)
}

// KebabCase is the CLI name of a Go identifier, as the Dagger CLI derives it: awsAccessKeyID →
// aws-access-key-id, DeployEcs → deploy-ecs, kubeAPI → kube-api.
func KebabCase(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 {
			prevLower := unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1])
			acronymEnd := unicode.IsUpper(r[i-1]) && i+1 < len(r) && unicode.IsLower(r[i+1])
			if prevLower || acronymEnd {
				b.WriteByte('-')
			}
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// Call is a parsed `dagger call` argument list: the constructor's flags, then a chain of functions.
type Call struct {
	ModuleFlags map[string]string
	Chain       []Invocation
	Output      string // -o / --output
}

// Invocation is one function of the chain with its flags' values ("" for booleans).
type Invocation struct {
	Function string
	Flags    map[string]string
}

// Functions names the chain, e.g. "plan export".
func (c Call) Functions() string {
	var n []string
	for _, inv := range c.Chain {
		n = append(n, inv.Function)
	}
	return strings.Join(n, " ")
}

// Flag returns the value of a flag of the chain's first function.
func (c Call) Flag(name string) (string, bool) {
	if len(c.Chain) == 0 {
		return "", false
	}
	v, ok := c.Chain[0].Flags[name]
	return v, ok
}

// callFlags are `dagger call`'s own flags that take a value, and those that do not.
var callValueFlags = map[string]bool{"-o": true, "--output": true, "-m": true, "--mod": true, "--progress": true}
var callBoolFlags = map[string]bool{"--json": true, "-j": true, "-q": true, "--quiet": true, "-s": true, "--silent": true, "-v": true, "-vv": true, "-vvv": true}

// ParseCall checks args (the words after `dagger call`) against the module: every function exists on
// the object the previous one returned, every flag exists and gets a value unless it is boolean, and
// every required flag is given.
func (m *Module) ParseCall(args []string) (Call, error) { return m.parseCall(args, true) }

// ParsePartialCall checks an elided call (a documentation example with `...` or [optional] parts):
// the functions and flags it names must exist; required flags are not enforced.
func (m *Module) ParsePartialCall(args []string) (Call, error) { return m.parseCall(args, false) }

func (m *Module) parseCall(args []string, complete bool) (Call, error) {
	call := Call{ModuleFlags: map[string]string{}}
	fn := m.Constructor
	fn.Name = "(the module's constructor)"
	flags := call.ModuleFlags
	objType := m.Root
	finish := func() error {
		if !complete {
			return nil
		}
		for _, f := range fn.Flags {
			if _, ok := flags[f.Name]; f.Required && !ok {
				return fmt.Errorf("%s needs --%s", fn.Name, f.Name)
			}
		}
		return nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if callValueFlags[a] {
			if i+1 >= len(args) {
				return Call{}, fmt.Errorf("dagger call %s needs a value", a)
			}
			if a == "-o" || a == "--output" {
				call.Output = args[i+1]
			}
			i++
			continue
		}
		if callBoolFlags[a] {
			continue
		}
		if strings.HasPrefix(a, "--") {
			name, value, hasValue := strings.Cut(strings.TrimPrefix(a, "--"), "=")
			f, ok := fn.Flags[name]
			if !ok {
				return Call{}, fmt.Errorf("%s has no flag --%s (its flags: %s)", fn.Name, name, strings.Join(fn.FlagNames(), " "))
			}
			if !f.Bool && !hasValue {
				if i+1 >= len(args) || strings.HasPrefix(args[i+1], "--") {
					return Call{}, fmt.Errorf("%s --%s needs a value", fn.Name, name)
				}
				value = args[i+1]
				i++
			}
			flags[name] = value
			continue
		}
		if strings.HasPrefix(a, "-") {
			return Call{}, fmt.Errorf("unknown flag %s in dagger call", a)
		}
		if err := finish(); err != nil {
			return Call{}, err
		}
		if objType == "" {
			return Call{}, fmt.Errorf("%s returns a value, not an object: %q cannot be called on it", fn.Name, a)
		}
		next, ok := m.Objects[objType][a]
		if !ok {
			var names []string
			for n := range m.Objects[objType] {
				names = append(names, n)
			}
			sort.Strings(names)
			return Call{}, fmt.Errorf("%s has no function %q (its functions: %s)", objType, a, strings.Join(names, " "))
		}
		fn = next
		objType = next.Returns
		call.Chain = append(call.Chain, Invocation{Function: a, Flags: map[string]string{}})
		flags = call.Chain[len(call.Chain)-1].Flags
	}
	if len(call.Chain) == 0 {
		return Call{}, fmt.Errorf("dagger call names no function")
	}
	return call, finish()
}
