package iameval

import (
	"fmt"
	"strings"
)

// Context is the request context: condition keys (case-insensitive) to their values.
type Context map[string][]string

// Set records a key's values (replacing earlier ones).
func (c Context) Set(key string, values ...string) { c[strings.ToLower(key)] = values }

// Values are a key's values (nil when absent).
func (c Context) Values(key string) []string { return c[strings.ToLower(key)] }

func (c Context) lookup(key string) ([]string, bool) {
	v, ok := c[strings.ToLower(key)]
	return v, ok
}

// PrincipalKind is who makes the request.
type PrincipalKind string

// The principal kinds the twin sees.
const (
	// AWSPrincipal is an IAM user, an assumed-role session or an account root.
	AWSPrincipal PrincipalKind = "AWS"
	// FederatedPrincipal is a web identity (an OIDC provider ARN).
	FederatedPrincipal PrincipalKind = "Federated"
	// ServicePrincipal is an AWS service (codebuild.amazonaws.com).
	ServicePrincipal PrincipalKind = "Service"
)

// Principal is the caller.
type Principal struct {
	Kind PrincipalKind
	// ID is the caller ARN for AWS principals (arn:aws:iam::A:user/N, arn:aws:sts::A:assumed-role/R/S,
	// arn:aws:iam::A:root), the provider ARN for federated ones, the service name for services.
	ID string
	// Account is the caller's account (AWS principals; the provider's account for federated ones).
	Account string
}

// String is how AWS names the principal in error messages.
func (p Principal) String() string { return p.ID }

// Request is one action on one resource.
type Request struct {
	Principal Principal
	Action    string // service:Operation
	// Resource is the ARN acted on, "*" for an action without resource-level permissions (only a
	// Resource "*" grants it), or "" when the caller could not derive it: then every Resource pattern
	// matches and NotResource never excludes (a lenient answer, for operations the twin does not map).
	Resource string
	Context  Context
}

// Result is a policy's verdict on a request.
type Result int

// The verdicts, from weakest to strongest.
const (
	NotApplicable Result = iota
	Allowed
	ExplicitlyDenied
)

// match is how a statement's principal element matched the caller.
type principalMatch int

const (
	noMatch          principalMatch = iota
	matchedAccount                  // by account id / root: the account delegates to its identity policies
	matchedPrincipal                // by the caller's own ARN (or its role), a service, a provider, or "*"
)

// Evaluate applies the policy to the request and returns the verdict and the deciding statement.
// Identity policies have no Principal element; resource policies (trust policies included) must name
// the caller in theirs.
func (p *Policy) Evaluate(req Request, resourcePolicy bool) (Result, *Statement) {
	r, _, s := p.evaluate(req, resourcePolicy)
	return r, s
}

// evaluate is Evaluate that also says how strongly the allowing statements named the caller.
func (p *Policy) evaluate(req Request, resourcePolicy bool) (Result, principalMatch, *Statement) {
	result, strongest := NotApplicable, noMatch
	var deciding *Statement
	vars := p.Version != "2008-10-17"
	for i := range p.Statements {
		s := &p.Statements[i]
		pm := matchedPrincipal
		if resourcePolicy {
			pm = s.principalMatch(req.Principal)
			if pm == noMatch {
				continue
			}
		}
		if !s.actionMatches(req.Action) || !s.resourceMatches(req.Resource, req.Context, vars) || !s.conditionsHold(req.Context, vars) {
			continue
		}
		if s.Effect == Deny {
			return ExplicitlyDenied, pm, s
		}
		if result == NotApplicable || pm > strongest {
			result, strongest, deciding = Allowed, pm, s
		}
	}
	return result, strongest, deciding
}

func (s *Statement) actionMatches(action string) bool {
	if s.Action != nil {
		for _, a := range s.Action {
			if actionMatch(a, action) {
				return true
			}
		}
		return false
	}
	for _, a := range s.NotAction {
		if actionMatch(a, action) {
			return false
		}
	}
	return true
}

func (s *Statement) resourceMatches(resource string, ctx Context, vars bool) bool {
	list, negate := s.Resource, false
	if list == nil && s.NotResource != nil {
		list, negate = s.NotResource, true
	}
	if list == nil { // trust policies have no Resource element
		return true
	}
	if resource == "" { // not derived: no Resource element can exclude it
		return !negate
	}
	matched := false
	for _, r := range list {
		if vars {
			var ok bool
			if r, ok = substitute(r, ctx); !ok {
				continue
			}
		}
		if resource == "*" {
			// An action without resource-level permissions is only granted by Resource "*".
			if r == "*" {
				matched = true
			}
		} else if arnMatch(r, resource) {
			matched = true
		}
		if matched {
			break
		}
	}
	return matched != negate
}

func (s *Statement) conditionsHold(ctx Context, vars bool) bool {
	for _, c := range s.Conditions {
		if !c.holds(ctx, vars) {
			return false
		}
	}
	return true
}

func (s *Statement) principalMatch(p Principal) principalMatch {
	if s.Principal != nil {
		return matchPrincipals(s.Principal, p)
	}
	if s.NotPrincipal != nil {
		if matchPrincipals(s.NotPrincipal, p) != noMatch {
			return noMatch
		}
		return matchedAccount // "everyone but": never a grant to the caller by name
	}
	return noMatch
}

func matchPrincipals(byType map[string][]string, p Principal) principalMatch {
	if _, ok := byType["*"]; ok {
		return matchedPrincipal
	}
	best := noMatch
	for _, v := range byType[string(p.Kind)] {
		m := matchOne(p, v)
		if m > best {
			best = m
		}
	}
	return best
}

func matchOne(p Principal, v string) principalMatch {
	if v == "*" {
		return matchedPrincipal
	}
	switch p.Kind {
	case FederatedPrincipal, ServicePrincipal:
		if v == p.ID {
			return matchedPrincipal
		}
		return noMatch
	}
	// AWS: an account id, an account root, a user, a role (matches its sessions) or a session.
	if v == p.Account || v == fmt.Sprintf("arn:aws:iam::%s:root", p.Account) {
		return matchedAccount
	}
	if v == p.ID {
		return matchedPrincipal
	}
	if role := roleOfSession(p.ID); role != "" && sameRole(v, role) {
		return matchedPrincipal
	}
	return noMatch
}

// roleOfSession maps arn:aws:sts::A:assumed-role/R/S to arn:aws:iam::A:role/R ("" otherwise).
func roleOfSession(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "sts" {
		return ""
	}
	rest, ok := strings.CutPrefix(parts[5], "assumed-role/")
	if !ok {
		return ""
	}
	role, _, _ := strings.Cut(rest, "/")
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", parts[1], parts[4], role)
}

// sameRole compares role ARNs by account and name (a session ARN carries no role path).
func sameRole(policyValue, role string) bool {
	pv := strings.SplitN(policyValue, ":", 6)
	rv := strings.SplitN(role, ":", 6)
	if len(pv) != 6 || len(rv) != 6 || pv[2] != "iam" || pv[4] != rv[4] || !strings.HasPrefix(pv[5], "role/") {
		return false
	}
	name := pv[5][strings.LastIndex(pv[5], "/")+1:]
	return name == strings.TrimPrefix(rv[5], "role/")
}
