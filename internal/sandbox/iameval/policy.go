// Package iameval evaluates IAM policy documents the way AWS documents it: identity-based policies,
// resource-based policies (an ECR repository policy, a role's trust policy) and their combination
// within one account and across accounts.
//
// The twin needs its own evaluator because moto checks identity policies against resource "*" only
// and ignores conditions and trust policies, so a resource-scoped permission (the project's real
// policies) would be refused there and a trust policy never checked.
//
// Supported: Effect Allow/Deny; Action/NotAction with * and ? (case-insensitive); Resource/NotResource
// with ARN wildcards per component; Principal/NotPrincipal (AWS account, root, user, role and
// assumed-role session ARNs, Federated, Service, "*"); every condition operator of the IAM reference
// (String*, Numeric*, Date*, Bool, BinaryEquals, IpAddress/NotIpAddress, Arn*, Null), the ...IfExists
// suffix and the ForAnyValue:/ForAllValues: set qualifiers; policy variables ${key} (Version 2012-10-17).
// Not modelled: permissions boundaries, session policies, SCPs/RCPs, and service-specific quirks.
package iameval

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Effect is a statement's Effect.
type Effect string

// The two effects.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Policy is a parsed policy document.
type Policy struct {
	Version    string
	Statements []Statement
}

// Statement is one statement of a policy.
type Statement struct {
	Sid    string
	Effect Effect
	// Principal / NotPrincipal: by principal type (AWS, Federated, Service, CanonicalUser, or "*" for
	// the string form "Principal": "*"). Nil when the element is absent.
	Principal    map[string][]string
	NotPrincipal map[string][]string
	// Action / NotAction and Resource / NotResource: nil when absent.
	Action, NotAction     []string
	Resource, NotResource []string
	Conditions            []Condition
}

// Condition is one (operator, key) pair of a Condition block with its values.
type Condition struct {
	Operator string // as written, e.g. "ForAnyValue:StringLikeIfExists"
	Key      string
	Values   []string
}

// Parse reads a policy document. IAM's Get*Policy APIs return documents URL-encoded; Parse accepts both.
func Parse(doc string) (*Policy, error) {
	doc = strings.TrimSpace(doc)
	if strings.HasPrefix(doc, "%7B") || strings.HasPrefix(doc, "%7b") {
		decoded, err := url.QueryUnescape(doc)
		if err != nil {
			return nil, fmt.Errorf("policy document is URL-encoded but does not decode: %w", err)
		}
		doc = decoded
	}
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, fmt.Errorf("policy document is not JSON: %w", err)
	}
	var rawStatements []map[string]json.RawMessage
	switch {
	case len(raw.Statement) == 0:
		return nil, fmt.Errorf("policy document has no Statement")
	case raw.Statement[0] == '[':
		if err := json.Unmarshal(raw.Statement, &rawStatements); err != nil {
			return nil, fmt.Errorf("policy Statement: %w", err)
		}
	default:
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw.Statement, &one); err != nil {
			return nil, fmt.Errorf("policy Statement: %w", err)
		}
		rawStatements = []map[string]json.RawMessage{one}
	}
	p := &Policy{Version: raw.Version}
	for i, rs := range rawStatements {
		s, err := parseStatement(rs)
		if err != nil {
			return nil, fmt.Errorf("statement %d: %w", i+1, err)
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

// MustParse is Parse for documents written in code and tests; it panics on a malformed document.
func MustParse(doc string) *Policy {
	p, err := Parse(doc)
	if err != nil {
		panic(err)
	}
	return p
}

func parseStatement(rs map[string]json.RawMessage) (Statement, error) {
	var s Statement
	var err error
	if v, ok := rs["Sid"]; ok {
		_ = json.Unmarshal(v, &s.Sid)
	}
	var effect string
	if err := json.Unmarshal(rs["Effect"], &effect); err != nil || (effect != string(Allow) && effect != string(Deny)) {
		return s, fmt.Errorf("Effect must be Allow or Deny")
	}
	s.Effect = Effect(effect)
	for name, dst := range map[string]*[]string{"Action": &s.Action, "NotAction": &s.NotAction, "Resource": &s.Resource, "NotResource": &s.NotResource} {
		if v, ok := rs[name]; ok {
			if *dst, err = stringList(v); err != nil {
				return s, fmt.Errorf("%s: %w", name, err)
			}
			if *dst == nil {
				*dst = []string{}
			}
		}
	}
	if (s.Action == nil) == (s.NotAction == nil) {
		return s, fmt.Errorf("exactly one of Action and NotAction is required")
	}
	if s.Resource != nil && s.NotResource != nil {
		return s, fmt.Errorf("Resource and NotResource cannot both be present")
	}
	if v, ok := rs["Principal"]; ok {
		if s.Principal, err = principals(v); err != nil {
			return s, fmt.Errorf("Principal: %w", err)
		}
	}
	if v, ok := rs["NotPrincipal"]; ok {
		if s.NotPrincipal, err = principals(v); err != nil {
			return s, fmt.Errorf("NotPrincipal: %w", err)
		}
	}
	if v, ok := rs["Condition"]; ok {
		if s.Conditions, err = conditions(v); err != nil {
			return s, fmt.Errorf("Condition: %w", err)
		}
	}
	return s, nil
}

// stringList reads a string, a number, a bool, or an array of them as strings.
func stringList(v json.RawMessage) ([]string, error) {
	var list []any
	if err := json.Unmarshal(v, &list); err != nil {
		var one any
		if err := json.Unmarshal(v, &one); err != nil {
			return nil, err
		}
		list = []any{one}
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		switch x := item.(type) {
		case string:
			out = append(out, x)
		case bool:
			out = append(out, fmt.Sprint(x))
		case float64:
			out = append(out, strconv.FormatFloat(x, 'f', -1, 64))
		default:
			return nil, fmt.Errorf("value %v is not a string", item)
		}
	}
	return out, nil
}

func principals(v json.RawMessage) (map[string][]string, error) {
	var star string
	if err := json.Unmarshal(v, &star); err == nil {
		if star != "*" {
			return nil, fmt.Errorf("a string Principal must be \"*\"")
		}
		return map[string][]string{"*": {"*"}}, nil
	}
	var byType map[string]json.RawMessage
	if err := json.Unmarshal(v, &byType); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for typ, raw := range byType {
		values, err := stringList(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", typ, err)
		}
		out[typ] = values
	}
	return out, nil
}

func conditions(v json.RawMessage) ([]Condition, error) {
	var block map[string]map[string]json.RawMessage
	if err := json.Unmarshal(v, &block); err != nil {
		return nil, err
	}
	var out []Condition
	for op, keys := range block {
		if _, err := parseOperator(op); err != nil {
			return nil, err
		}
		for key, raw := range keys {
			values, err := stringList(raw)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", op, key, err)
			}
			out = append(out, Condition{Operator: op, Key: key, Values: values})
		}
	}
	return out, nil
}
