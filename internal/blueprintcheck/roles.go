package blueprintcheck

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/platformteam/delivery/internal/iampolicy"
)

func jsonUnmarshal(d iampolicy.Document, v any) error {
	if err := json.Unmarshal([]byte(d), v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return nil
}

// readVerbs start the names of actions that only read. Anything else writes (or acts).
var readVerbs = []string{"Get", "List", "Describe", "BatchGet", "BatchCheck", "Head", "Lookup", "Search", "View"}

// secretReads are reads that return secret values or data (not configuration). A read-only role may use
// s3:GetObject only on its state and kms:Decrypt only through S3; the others never.
var secretReads = []string{
	"secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue",
	"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory",
	"kms:Decrypt", "s3:GetObject", "s3:GetObjectVersion",
	"ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
	"ec2:GetPasswordData", "logs:GetLogEvents", "logs:FilterLogEvents", "lambda:GetFunction",
	"dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan",
}

// readOnlyManaged are the AWS managed policies a read-only role may carry. ReadOnlyAccess includes
// secret reads, so a role carrying it must deny every one of deniedWithReadOnlyAccess.
var readOnlyManaged = map[string]bool{"ReadOnlyAccess": true}

var deniedWithReadOnlyAccess = []string{
	"secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue",
	"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
	"kms:Decrypt", "s3:GetObject", "ecr:GetAuthorizationToken", "logs:GetLogEvents",
}

// CheckRoles reads the declared identities of each environment (internal/iampolicy, rendered from the
// templates the Terraform loads) and checks every role: trust pinned to exact GitHub environment
// subjects (StringEquals on aud and sub, no wildcards) or, for the CodeBuild role, to its project
// (aws:SourceArn and aws:SourceAccount); plan and drift roles without write or secret-read actions.
func CheckRoles(repoRoot string, envs []string) []Problem {
	var out []Problem
	for _, env := range envs {
		ids, err := iampolicy.Load(repoRoot, env)
		if err != nil {
			out = append(out, Problem{File: "environments/" + env, Line: 1, Message: "identities: " + err.Error()})
			continue
		}
		for _, r := range ids.Roles {
			for _, msg := range checkRole(ids, r) {
				out = append(out, Problem{File: roleFile(r), Line: 1, Message: fmt.Sprintf("%s (%s): %s", r.Name, env, msg)})
			}
		}
	}
	return out
}

func roleFile(r iampolicy.Role) string {
	if len(r.Policies) > 0 {
		return r.Policies[0].Template
	}
	return iampolicy.TemplateTrustCI
}

func checkRole(ids *iampolicy.Identities, r iampolicy.Role) []string {
	var out []string
	trust, err := r.Trust.Statements()
	if err != nil {
		return []string{"trust: " + err.Error()}
	}
	for _, msg := range checkPolicyDocument(r.Trust, iampolicy.TrustPolicy) {
		out = append(out, "trust: "+msg)
	}
	for _, p := range r.Policies {
		for _, msg := range checkPolicyDocument(p.Document, iampolicy.IdentityPolicy) {
			out = append(out, p.Name+": "+msg)
		}
	}
	var trusted []string
	for _, s := range trust {
		if s.Effect != "Allow" {
			continue
		}
		for op, conds := range s.Condition {
			if strings.Contains(op, "Like") && (hasKey(conds, iampolicy.OIDCIssuer+":sub") || hasKey(conds, "aws:SourceArn")) {
				out = append(out, fmt.Sprintf("trust statement %s matches with %s: use StringEquals on exact values", s.Sid, op))
			}
		}
		switch {
		case len(s.Principal["Federated"]) > 0:
			eq := s.Condition["StringEquals"]
			if aud := eq[iampolicy.OIDCIssuer+":aud"]; !slices.Equal(aud, []string{iampolicy.OIDCAudience}) {
				out = append(out, fmt.Sprintf("trust statement %s: aud must be exactly %s, got %v", s.Sid, iampolicy.OIDCAudience, aud))
			}
			subs := eq[iampolicy.OIDCIssuer+":sub"]
			if len(subs) == 0 {
				out = append(out, fmt.Sprintf("trust statement %s trusts every subject of the provider: pin it with StringEquals on sub", s.Sid))
			}
			for _, sub := range subs {
				if strings.ContainsAny(sub, "*?") {
					out = append(out, fmt.Sprintf("trust subject %q has a wildcard", sub))
				}
				if !strings.HasPrefix(sub, "repo:"+ids.GitHubRepository+":environment:") {
					out = append(out, fmt.Sprintf("trust subject %q is not a GitHub environment of %s: jobs without an environment (pull_request, ref) must not get credentials", sub, ids.GitHubRepository))
				}
				trusted = append(trusted, sub)
			}
		case len(s.Principal["Service"]) > 0:
			eq := s.Condition["StringEquals"]
			if len(eq["aws:SourceArn"]) != 1 || !slices.Equal(eq["aws:SourceAccount"], []string{ids.AccountID}) {
				out = append(out, fmt.Sprintf("trust statement %s trusts %v without StringEquals on aws:SourceArn (one project) and aws:SourceAccount %s", s.Sid, s.Principal["Service"], ids.AccountID))
			}
		case len(s.Principal["AWS"]) > 0:
			for _, p := range s.Principal["AWS"] {
				if !strings.HasPrefix(p, "arn:"+ids.Partition+":iam::"+ids.AccountID+":role/") {
					out = append(out, fmt.Sprintf("trust statement %s trusts %s: only roles of this account may chain into a CI role", s.Sid, p))
				}
			}
		}
	}
	slices.Sort(trusted)
	want := slices.Clone(r.Subjects)
	slices.Sort(want)
	if !slices.Equal(trusted, want) {
		out = append(out, fmt.Sprintf("trust accepts subjects %v, the declaration says %v", trusted, want))
	}
	if r.Purpose == iampolicy.Plan || r.Purpose == iampolicy.Drift {
		out = append(out, checkReadOnly(ids, r)...)
	}
	return out
}

func hasKey(m map[string]iampolicy.StringList, k string) bool { _, ok := m[k]; return ok }

// checkReadOnly: no write or secret-read action in any Allow statement, only read-only managed
// policies, and explicit denies of the secret reads ReadOnlyAccess would allow.
func checkReadOnly(ids *iampolicy.Identities, r iampolicy.Role) []string {
	var out []string
	var denied []string
	for _, p := range r.Policies {
		sts, err := p.Document.Statements()
		if err != nil {
			continue
		}
		for _, s := range sts {
			if s.Effect == "Deny" {
				denied = append(denied, s.Action...)
				continue
			}
			if len(s.NotAction) > 0 {
				out = append(out, fmt.Sprintf("%s statement %s allows NotAction: a read-only role lists what it reads", p.Name, s.Sid))
			}
			for _, a := range s.Action {
				if msg := readOnlyViolation(ids, a, s); msg != "" {
					out = append(out, fmt.Sprintf("%s statement %s: %s", p.Name, s.Sid, msg))
				}
			}
		}
	}
	for _, arn := range r.ManagedPolicyARNs {
		name := path.Base(arn)
		if !readOnlyManaged[name] || !strings.Contains(arn, ":iam::aws:policy/") {
			out = append(out, fmt.Sprintf("managed policy %s is not a read-only policy", arn))
			continue
		}
		for _, need := range deniedWithReadOnlyAccess {
			if !actionListed(denied, need) {
				out = append(out, fmt.Sprintf("carries %s but does not deny %s, which it includes", name, need))
			}
		}
	}
	return out
}

func readOnlyViolation(ids *iampolicy.Identities, action string, s iampolicy.Statement) string {
	svc, name, ok := strings.Cut(action, ":")
	if !ok || strings.Contains(action, "*") {
		return fmt.Sprintf("%s: a wildcard action in a read-only role may include writes or secret reads", action)
	}
	if slices.Contains(secretReads, action) {
		switch {
		case svc == "s3" && allUnder(s.Resource, "arn:"+ids.Partition+":s3:::"+ids.StateBucket+"/"+ids.Environment+"/"):
			return "" // this environment's state objects
		case action == "kms:Decrypt" && slices.Equal(s.Condition["StringEquals"]["kms:ViaService"], []string{"s3." + ids.Region + ".amazonaws.com"}):
			return "" // a state bucket encrypted with a customer key, through S3 only
		}
		return fmt.Sprintf("%s reads secret values or data", action)
	}
	for _, v := range readVerbs {
		if strings.HasPrefix(name, v) {
			return ""
		}
	}
	return fmt.Sprintf("%s writes (a plan or drift role must not change anything, lock files included)", action)
}

func allUnder(resources []string, prefix string) bool {
	if len(resources) == 0 {
		return false
	}
	for _, r := range resources {
		if !strings.HasPrefix(r, prefix) {
			return false
		}
	}
	return true
}

// actionListed reports whether want is one of the actions, directly or through a wildcard.
func actionListed(actions []string, want string) bool {
	for _, a := range actions {
		if a == want || a == "*" {
			return true
		}
		if strings.HasSuffix(a, "*") && strings.HasPrefix(want, strings.TrimSuffix(a, "*")) {
			return true
		}
	}
	return false
}
