// Package awsfront is the AWS twin's endpoint (the sandbox's :4566): every AWS client of the sandbox
// talks to it, and it answers as AWS does in front of moto, which keeps the state.
//
// moto stores resources per account but cannot enforce what AWS enforces (it checks identity policies
// against resource "*" only, ignores conditions and trust policies, cannot read a presigned request,
// mis-signs KMS digests and reads a secret's last version as its current one), so the front does, one concern per file:
//
//   - call.go: which service, operation and protocol a request is;
//   - front.go: the pipeline every request goes through (control endpoints, authentication against
//     the credential registry, counters, faults, authorization, then a handler or moto);
//   - access.go: the IAM action, resource ARN and condition keys of each operation;
//   - policies.go: the caller's identity policies, read from moto;
//   - backend.go: forwarding to moto, re-signed as the target account's admin identity;
//   - sts.go: AssumeRole, AssumeRoleWithWebIdentity (JWT + trust policy), GetCallerIdentity, and the
//     CodeBuild container credentials endpoint;
//   - ecr.go: GetAuthorizationToken answered with a signed, expiring, principal-bound password and the
//     account's twin registry as proxyEndpoint;
//   - kms.go: Sign/Verify/GetPublicKey for signing keys (moto signs MessageType=DIGEST wrongly), and
//     DescribeKey, each decided by the key policy, another account's key by ARN;
//   - secretsmanager.go: GetSecretValue's default is the AWSCURRENT version (moto answers the last written);
//   - iam.go: keys issued by CreateAccessKey recorded, policy caches invalidated on IAM writes;
//   - faults.go, counters.go, control.go: faults on demand and request counters behind /_twin/;
//   - errors.go: errors in each protocol's own shape.
//
// Other twin parts add operations with HandleOperation and control endpoints with HandleControl, each
// in its own file.
package awsfront
