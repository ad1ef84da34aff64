// Package blueprint reads a Terraform blueprint tree (modules/, stacks/, environments/) with hcl/v2 and
// checks it against the repository's conventions (docs/CONVENTIONS.md).
//
// Discovery never runs terraform: every fact (variables, outputs, module calls, remote-state reads, backend
// blocks, provider tags) comes from the HCL syntax tree, so the linter works where providers cannot be
// downloaded. The stack graph (pkg/stackgraph) and the runner (pkg/stackrun) build on the same model.
package blueprint
