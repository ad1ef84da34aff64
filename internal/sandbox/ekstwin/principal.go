package ekstwin

import (
	"fmt"
	"strings"
)

// PrincipalKind is what kind of IAM identity signed a request.
type PrincipalKind string

// Principal kinds an access entry can name.
const (
	KindRole PrincipalKind = "role" // an IAM role, or a session of it (assumed-role)
	KindUser PrincipalKind = "user"
	KindRoot PrincipalKind = "root"
)

// Principal is an IAM identity as EKS sees it: the caller ARN STS reports and the IAM ARN an access
// entry names (for a role session, the role).
type Principal struct {
	Partition string
	Account   string
	Kind      PrincipalKind
	Name      string // role or user name, without path
	Path      string // "/" unless the IAM ARN carries one (an assumed-role ARN never does)
	Session   string // role session name (assumed-role only)
	CallerARN string // as GetCallerIdentity reports it
}

// IAMARN is the ARN an access entry for this principal names. For a role session that is the role;
// the path is unknown from a session ARN, so it is "/" unless the principal was parsed from an IAM ARN.
func (p Principal) IAMARN() string {
	switch p.Kind {
	case KindRoot:
		return fmt.Sprintf("arn:%s:iam::%s:root", p.Partition, p.Account)
	default:
		return fmt.Sprintf("arn:%s:iam::%s:%s%s%s", p.Partition, p.Account, p.Kind, p.pathOrSlash(), p.Name)
	}
}

func (p Principal) pathOrSlash() string {
	if p.Path == "" {
		return "/"
	}
	return p.Path
}

// Same reports whether two principals are the same IAM identity: IAM names are unique within an
// account whatever their path, so a session of a role matches an access entry naming the role with
// its path.
func (p Principal) Same(o Principal) bool {
	return p.Partition == o.Partition && p.Account == o.Account && p.Kind == o.Kind && p.Name == o.Name
}

// ParsePrincipal parses an IAM user/role ARN, an account root ARN or an STS assumed-role ARN.
func ParsePrincipal(arn string) (Principal, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" {
		return Principal{}, fmt.Errorf("%q is not an ARN", arn)
	}
	p := Principal{Partition: parts[1], Account: parts[4], CallerARN: arn}
	if len(p.Account) != 12 || strings.Trim(p.Account, "0123456789") != "" {
		return Principal{}, fmt.Errorf("ARN %q has no 12-digit account id", arn)
	}
	resource := parts[5]
	switch service := parts[2]; {
	case service == "iam" && resource == "root":
		p.Kind, p.Name = KindRoot, "root"
		return p, nil
	case service == "iam" && (strings.HasPrefix(resource, "role/") || strings.HasPrefix(resource, "user/")):
		kind, rest, _ := strings.Cut(resource, "/")
		i := strings.LastIndex(rest, "/")
		p.Kind, p.Name, p.Path = PrincipalKind(kind), rest[i+1:], "/"+rest[:i+1]
		if i < 0 {
			p.Path = "/"
		}
	case service == "sts" && strings.HasPrefix(resource, "assumed-role/"):
		fields := strings.Split(resource, "/")
		if len(fields) != 3 || fields[2] == "" {
			return Principal{}, fmt.Errorf("assumed-role ARN %q must be assumed-role/<role>/<session>", arn)
		}
		p.Kind, p.Name, p.Path, p.Session = KindRole, fields[1], "", fields[2]
	default:
		return Principal{}, fmt.Errorf("ARN %q is not an IAM user, IAM role, account root or STS assumed role", arn)
	}
	if p.Name == "" {
		return Principal{}, fmt.Errorf("ARN %q names no %s", arn, p.Kind)
	}
	return p, nil
}
