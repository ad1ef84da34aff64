// Package iampolicy is the Go side of the CI identities' single source: the policy templates under
// modules/iam/policies (and modules/ecr/policies) that the Terraform modules load with templatefile().
//
// Render evaluates a template exactly as templatefile() does (HCL template syntax through
// hashicorp/hcl/v2, the go-cty stdlib functions Terraform binds to the same names), and a test compares
// every template's rendering with the real terraform binary's. Load declares an environment's roles
// (name, trust, permission policies, the job subjects that assume each one), its ECR repository
// policies and EKS access entries from environments/<env> (delivery.yaml, tfvars, backend.hcl), with
// the same conventions stacks/shared/iam applies: the sandbox's twin accounts seed these and enforce
// them, so a permission missing in the Terraform fails there too.
//
// Everything reads a repository root given by the caller, so a test can render a modified copy
// (CopySources).
package iampolicy
