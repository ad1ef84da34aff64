// Package ekstwin is the EKS side of the sandbox's twin accounts: what the AWS front answers for EKS
// and what the twin clusters' API servers ask it.
//
//   - Token verification (token.go, with the AWS front's sigv4 and credential registry): an EKS bearer token (`k8s-aws-v1.` + a presigned STS
//     GetCallerIdentity URL) is checked the way STS and the EKS authenticator check it: the URL is the
//     twin's STS endpoint, the action is GetCallerIdentity, the cluster name is signed in
//     x-k8s-aws-id, X-Amz-Date is at most 15 minutes old, and the SigV4 signature matches the secret
//     of a credential the twin saw moto issue (moto itself answers 500 to presigned URLs once IAM is
//     enforced).
//   - Access entries (access.go, policies.go, api.go): the EKS access entries API (moto answers 404),
//     and the mapping of a principal to a Kubernetes username and groups through the cluster's access
//     entries and associated access policies. Access policies become groups that RBAC bindings in
//     the twin clusters grant (see RBAC in policies.go).
//   - The token-review webhook (tokenreview.go) each twin API server calls to authenticate a bearer
//     token, answering authentication.k8s.io/v1 TokenReview as the EKS authenticator does.
//   - DescribeCluster (describe.go): moto's answer with the endpoint and CA of the account's sandbox
//     API server.
package ekstwin
