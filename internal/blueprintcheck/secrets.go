package blueprintcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"sigs.k8s.io/yaml"
)

var (
	// Keys whose value would be a secret.
	secretKeyRE = regexp.MustCompile(`(?i)(password|passwd|passphrase|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credential|auth)`)
	// Keys that only name or point at a secret (a reference is exactly what belongs in config).
	referenceKeyRE = regexp.MustCompile(`(?i)(name|names|kind|arn|arns|ref|path|prefix|interval|enabled|store|id|ids|file|key_?id|envname|remotekey|property)$`)
	// Values that are secrets whatever their key.
	secretValueREs = map[string]*regexp.Regexp{
		"an AWS access key id":        regexp.MustCompile(`\b(AKIA|ASIA)[A-Z0-9]{16}\b`),
		"a private key":               regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`),
		"a GitHub token":              regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{30,}\b`),
		"a Slack token":               regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{10,}\b`),
		"a JSON web token":            regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b`),
		"an AWS secret access key":    regexp.MustCompile(`(?i)aws_?secret_?access_?key\s*[:=]\s*\S{20,}`),
		"a password in a URL":         regexp.MustCompile(`[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@`),
		"a basic-auth or bearer blob": regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9+/=._-]{16,}`),
	}
	// Values that are references, placeholders or empty, never secrets.
	referenceValueRE = regexp.MustCompile(`^(|arn:aws[a-z-]*:.*|https?://[^\s@]+|/[A-Za-z0-9/_.-]+|[a-z0-9-]+/[a-z0-9/_.-]+|\$\{.*\}|<[^>]+>|changeme|CHANGEME|true|false)$`)
)

// ValuesFiles lists the files holding configuration values: environments/*/*.tfvars and delivery.yaml,
// and every Helm values file (values*.yaml, ci/*-values.yaml) under charts/ and stacks/.
func ValuesFiles(root string) ([]string, error) {
	var out []string
	add := func(pattern string) error {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		out = append(out, m...)
		return err
	}
	for _, p := range []string{"environments/*/*.tfvars", "environments/*/*.tfvars.json", "environments/*/delivery.yaml"} {
		if err := add(p); err != nil {
			return nil, err
		}
	}
	for _, base := range []string{"charts", "stacks"} {
		err := filepath.WalkDir(filepath.Join(root, base), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return filepath.SkipDir
				}
				return err
			}
			n := d.Name()
			if !d.IsDir() && (strings.HasPrefix(n, "values") && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) ||
				filepath.Base(filepath.Dir(p)) == "ci" && strings.HasSuffix(n, "-values.yaml")) {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// CheckSecretValues reports secret-looking values in tfvars and YAML values files: a literal under a
// secret-sounding key (password, token, secret, ...) that is not a reference (name, ARN, path), or any
// value matching a known credential format.
func CheckSecretValues(root string, files []string) []Problem {
	var out []Problem
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		rel = filepath.ToSlash(rel)
		src, err := os.ReadFile(f)
		if err != nil {
			out = append(out, Problem{File: rel, Message: err.Error()})
			continue
		}
		var leaves []leaf
		if strings.HasSuffix(f, ".tfvars") {
			leaves, err = tfvarsLeaves(src, rel)
		} else {
			leaves, err = yamlLeaves(src)
		}
		if err != nil {
			out = append(out, Problem{File: rel, Message: "cannot parse: " + err.Error()})
			continue
		}
		for _, l := range leaves {
			if msg := secretProblem(l.path, l.value); msg != "" {
				out = append(out, Problem{File: rel, Line: l.line, Message: fmt.Sprintf("%s: %s", l.path, msg)})
			}
		}
	}
	return out
}

type leaf struct {
	path  string
	value string
	line  int
}

func secretProblem(path, value string) string {
	for what, re := range secretValueREs {
		if re.MatchString(value) {
			return "value looks like " + what
		}
	}
	key := path
	if i := strings.LastIndexAny(path, ".]"); i >= 0 {
		key = strings.TrimLeft(path[i+1:], ".")
	}
	if key == "" { // list element: judge by the key holding the list
		trimmed := strings.TrimRight(path, "]0123456789[")
		if i := strings.LastIndex(trimmed, "."); i >= 0 {
			key = trimmed[i+1:]
		} else {
			key = trimmed
		}
	}
	// A map under a reference key (app_secret_names = { APP_AUTH_TOKEN = "app-auth-token" }) names things.
	segments := strings.FieldsFunc(path, func(r rune) bool { return r == '.' || r == '[' || r == ']' })
	for _, seg := range segments[:max(0, len(segments)-1)] {
		if referenceKeyRE.MatchString(seg) {
			return ""
		}
	}
	if secretKeyRE.MatchString(key) && !referenceKeyRE.MatchString(key) && !referenceValueRE.MatchString(value) {
		return fmt.Sprintf("%q holds a literal value under a secret-sounding key; store it in Secrets Manager and reference it", key)
	}
	return ""
}

func yamlLeaves(src []byte) ([]leaf, error) {
	var doc any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	var out []leaf
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(strings.TrimPrefix(path+"."+k, "."), e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case string:
			out = append(out, leaf{path: path, value: x})
		case nil:
		default:
			out = append(out, leaf{path: path, value: fmt.Sprint(x)})
		}
	}
	walk("", doc)
	return out, nil
}

func tfvarsLeaves(src []byte, name string) ([]leaf, error) {
	f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	attrs, diags := f.Body.JustAttributes()
	if diags.HasErrors() {
		return nil, diags
	}
	var out []leaf
	for n, a := range attrs {
		v, d := a.Expr.Value(nil)
		if d.HasErrors() {
			return nil, fmt.Errorf("%s: tfvars values must be literals", n)
		}
		var walk func(path string, v cty.Value)
		walk = func(path string, v cty.Value) {
			if v.IsNull() || !v.IsKnown() {
				return
			}
			t := v.Type()
			switch {
			case t.IsObjectType() || t.IsMapType():
				for it := v.ElementIterator(); it.Next(); {
					k, e := it.Element()
					walk(path+"."+k.AsString(), e)
				}
			case t.IsListType() || t.IsTupleType() || t.IsSetType():
				i := 0
				for it := v.ElementIterator(); it.Next(); {
					_, e := it.Element()
					walk(fmt.Sprintf("%s[%d]", path, i), e)
					i++
				}
			case t == cty.String:
				out = append(out, leaf{path: path, value: v.AsString(), line: a.Range.Start.Line})
			}
		}
		walk(n, v)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].line < out[j].line || out[i].line == out[j].line && out[i].path < out[j].path
	})
	return out, nil
}
