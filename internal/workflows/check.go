package workflows

import (
	"fmt"

	"github.com/platformteam/delivery/internal/iampolicy"
	"github.com/platformteam/delivery/internal/sandbox/iameval"
)

// CheckCalls parses every `dagger call` of the jobs that run against the module: functions and flags
// must exist, required flags be given, and --env name one of environments.
func CheckCalls(runs []JobRun, m *Module, environments []string) []Finding {
	var out []Finding
	for _, run := range runs {
		if !run.Runs {
			continue
		}
		for _, p := range run.Problems {
			out = append(out, Finding{Where: run.Name(), Message: p})
		}
		for _, c := range run.Calls {
			call, err := m.ParseCall(c.Args)
			if err != nil {
				out = append(out, Finding{Where: run.Name(), Message: fmt.Sprintf("step %q: dagger call: %v", c.Step, err)})
				continue
			}
			if env, ok := call.Flag("env"); ok && !contains(environments, env) {
				out = append(out, Finding{Where: run.Name(), Message: fmt.Sprintf("step %q: dagger call %s --env %q: no such environment (environments/: %v)", c.Step, call.Functions(), env, environments)})
			}
		}
	}
	return out
}

// Accounts are the CI identities of each environment, as iampolicy declares them from the Terraform
// templates and environments/<env>.
type Accounts map[string]*iampolicy.Identities

// LoadAccounts declares the identities of the named environments under root.
func LoadAccounts(root string, envs []string) (Accounts, error) {
	a := Accounts{}
	for _, e := range envs {
		ids, err := iampolicy.Load(root, e)
		if err != nil {
			return nil, fmt.Errorf("declare the CI identities of %s: %w", e, err)
		}
		a[e] = ids
	}
	return a, nil
}

// GitHubVars are the variables of every GitHub environment the accounts declare (Event.Vars).
func (a Accounts) GitHubVars() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, ids := range a {
		for _, g := range ids.GitHubEnvironments {
			out[g.Name] = g.Variables
		}
	}
	return out
}

// roleByARN finds the environment and role an ARN names.
func (a Accounts) roleByARN(arn string) (string, *iampolicy.Identities, *iampolicy.Role) {
	for env, ids := range a {
		for i := range ids.Roles {
			if ids.Roles[i].ARN == arn {
				return env, ids, &ids.Roles[i]
			}
		}
	}
	return "", nil, nil
}

// CheckTrust evaluates, for every role a job assumes, the role's trust policy (rendered from the
// Terraform template) against the request the job would make: AssumeRoleWithWebIdentity with its OIDC
// subject for a GitHub job, AssumeRole from the CodeBuild service role for the buildspec. The dagger
// calls made under a role must target that role's environment.
func CheckTrust(runs []JobRun, a Accounts) []Finding {
	var out []Finding
	for _, run := range runs {
		if !run.Runs {
			continue
		}
		add := func(format string, args ...any) {
			out = append(out, Finding{Where: run.Name(), Message: fmt.Sprintf(format, args...)})
		}
		for _, r := range run.Roles {
			if r.ARN == "" {
				continue // a Problem of the run already (the variable has no value)
			}
			_, ids, role := a.roleByARN(r.ARN)
			if role == nil {
				add("step %q assumes %s, which no environment declares", r.Step, r.ARN)
				continue
			}
			trust, err := iameval.Parse(string(role.Trust))
			if err != nil {
				add("the trust policy of %s does not parse: %v", role.Name, err)
				continue
			}
			var req iameval.Request
			var identity []iameval.NamedPolicy
			if run.Trigger == "codebuild" {
				// The build runs as the CodeBuild role of its own environment's account.
				home, ok := a[run.Environment]
				if !ok {
					add("DELIVERY_ENV %q has no CI identities (environments/%s/ci.tfvars)", run.Environment, run.Environment)
					continue
				}
				cb, ok := home.Role(iampolicy.CodeBuild)
				if !ok {
					add("%s declares no CodeBuild role to chain into %s from", run.Environment, role.Name)
					continue
				}
				for _, p := range cb.Policies {
					pol, err := iameval.Parse(string(p.Document))
					if err != nil {
						add("policy %s of %s does not parse: %v", p.Name, cb.Name, err)
						continue
					}
					identity = append(identity, iameval.NamedPolicy{Name: p.Name, Policy: pol})
				}
				req = iameval.Request{
					Principal: iameval.Principal{Kind: iameval.AWSPrincipal, Account: home.AccountID,
						ID: "arn:" + home.Partition + ":sts::" + home.AccountID + ":assumed-role/" + cb.Name + "/codebuild"},
					Action: "sts:AssumeRole", Resource: role.ARN, Context: iameval.Context{},
				}
			} else {
				req = iameval.Request{
					Principal: iameval.Principal{Kind: iameval.FederatedPrincipal, ID: ids.OIDCProviderARN, Account: ids.AccountID},
					Action:    "sts:AssumeRoleWithWebIdentity", Resource: role.ARN, Context: iameval.Context{},
				}
				req.Context.Set(iampolicy.OIDCIssuer+":sub", run.Subject)
				req.Context.Set(iampolicy.OIDCIssuer+":aud", iampolicy.OIDCAudience)
			}
			if d := iameval.AssumeRole(req, trust, identity, ids.AccountID); !d.Allowed {
				who := "subject " + run.Subject
				if run.Trigger == "codebuild" {
					who = "the CodeBuild role"
				}
				add("step %q: the trust policy of %s does not accept %s (%s)", r.Step, role.Name, who, d.Message(req))
			}
			if run.Trigger != "codebuild" && r.Region != "" && r.Region != ids.Region {
				add("step %q: aws-region %s, but %s is in %s", r.Step, r.Region, role.Name, ids.Region)
			}
		}
		for _, c := range run.Calls {
			if c.Role == nil || c.Role.ARN == "" {
				continue
			}
			env, _, role := a.roleByARN(c.Role.ARN)
			if role == nil {
				continue
			}
			for i := 0; i+1 < len(c.Args); i++ {
				if c.Args[i] == "--env" && c.Args[i+1] != env {
					add("step %q runs dagger call --env %s with the credentials of %s (environment %s)", c.Step, c.Args[i+1], role.Name, env)
				}
			}
		}
	}
	return out
}

// CheckArtifacts requires every artifact a job downloads to be uploaded by a job it needs (directly or
// through others) in the same workflow run.
func CheckArtifacts(runs []JobRun) []Finding {
	var out []Finding
	for _, run := range runs {
		if !run.Runs {
			continue
		}
		upstream := map[string]bool{}
		var walk func(needs []string)
		walk = func(needs []string) {
			for _, n := range needs {
				if upstream[n] {
					continue
				}
				upstream[n] = true
				for _, r := range runs {
					if r.Workflow == run.Workflow && r.Job == n {
						walk(r.Needs)
					}
				}
			}
		}
		walk(run.Needs)
		for _, d := range run.Downloads {
			found := false
			for _, r := range runs {
				if r.Workflow != run.Workflow || !upstream[r.Job] || !r.Runs {
					continue
				}
				for _, u := range r.Uploads {
					found = found || u.Name == d.Name
				}
			}
			if !found {
				out = append(out, Finding{Where: run.Name(), Message: fmt.Sprintf("step %q downloads artifact %q, which no job it needs uploads", d.Step, d.Name)})
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
