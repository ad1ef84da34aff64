package iameval

import "fmt"

// NamedPolicy is an identity policy with the name it is known by (inline name or managed ARN).
type NamedPolicy struct {
	Name   string
	Policy *Policy
}

// Decision is the outcome of authorizing a request.
type Decision struct {
	Allowed bool
	// Reason says why a request was refused, in AWS's words (empty when allowed).
	Reason string
	// DenyingPolicy names the policy with the explicit deny, if any.
	DenyingPolicy string
}

// Message is the AccessDenied message AWS would send for a refused request.
func (d Decision) Message(req Request) string {
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s", req.Principal, req.Action)
	if req.Resource != "" && req.Resource != "*" {
		msg += " on resource: " + req.Resource
	}
	if d.Reason != "" {
		msg += " " + d.Reason
	}
	return msg
}

// Input is everything evaluated for one request.
type Input struct {
	Request Request
	// Identity are the caller's identity policies (nil for federated and service principals).
	Identity []NamedPolicy
	// ResourcePolicy is the resource's own policy (an ECR repository policy), nil when it has none.
	ResourcePolicy *Policy
	// ResourceAccount owns the resource ("" = the caller's account).
	ResourceAccount string
}

// Authorize decides a request as AWS does: an explicit deny anywhere refuses it; within one account an
// allow in either the identity policies or the resource policy (naming the caller, not only its
// account) is enough; across accounts both must allow.
func Authorize(in Input) Decision {
	req := in.Request
	idResult, denyName := evaluateIdentity(in.Identity, req)
	if idResult == ExplicitlyDenied {
		return Decision{Reason: fmt.Sprintf("with an explicit deny in an identity-based policy (%s)", denyName), DenyingPolicy: denyName}
	}
	resResult, resMatch := NotApplicable, noMatch
	if in.ResourcePolicy != nil {
		resResult, resMatch, _ = in.ResourcePolicy.evaluate(req, true)
		if resResult == ExplicitlyDenied {
			return Decision{Reason: "with an explicit deny in a resource-based policy", DenyingPolicy: "resource policy"}
		}
	}
	crossAccount := in.ResourceAccount != "" && in.ResourceAccount != req.Principal.Account
	idAllows := idResult == Allowed
	resAllows := resResult == Allowed
	switch {
	case crossAccount && !resAllows:
		return Decision{Reason: fmt.Sprintf("because no resource-based policy allows the %s action", req.Action)}
	case crossAccount && !idAllows:
		return Decision{Reason: fmt.Sprintf("because no identity-based policy allows the %s action", req.Action)}
	case crossAccount:
		return Decision{Allowed: true}
	case idAllows || (resAllows && resMatch == matchedPrincipal):
		return Decision{Allowed: true}
	}
	return Decision{Reason: fmt.Sprintf("because no identity-based policy allows the %s action", req.Action)}
}

func evaluateIdentity(policies []NamedPolicy, req Request) (Result, string) {
	result := NotApplicable
	for _, np := range policies {
		r, _ := np.Policy.Evaluate(req, false)
		if r == ExplicitlyDenied {
			return ExplicitlyDenied, np.Name
		}
		if r == Allowed {
			result = Allowed
		}
	}
	return result, ""
}

// AssumeRole decides whether the principal may assume a role: the trust policy must allow the
// principal (always; an identity policy alone never lets anyone assume a role). For an AWS principal
// the caller's identity policies must also allow the sts action on the role unless the trust policy
// names the caller itself in the role's own account. Federated and service principals have no identity
// policies: the trust policy decides.
func AssumeRole(req Request, trust *Policy, identity []NamedPolicy, roleAccount string) Decision {
	if trust == nil {
		return Decision{Reason: "(the role has no trust policy)"}
	}
	if req.Principal.Kind == AWSPrincipal {
		if r, name := evaluateIdentity(identity, req); r == ExplicitlyDenied {
			return Decision{Reason: fmt.Sprintf("with an explicit deny in an identity-based policy (%s)", name), DenyingPolicy: name}
		}
	}
	result, how, _ := trust.evaluate(req, true)
	if result != Allowed {
		return Decision{}
	}
	if req.Principal.Kind != AWSPrincipal {
		return Decision{Allowed: true}
	}
	if how == matchedPrincipal && req.Principal.Account == roleAccount {
		return Decision{Allowed: true}
	}
	if r, _ := evaluateIdentity(identity, req); r == Allowed {
		return Decision{Allowed: true}
	}
	return Decision{Reason: fmt.Sprintf("because no identity-based policy allows the %s action", req.Action)}
}
