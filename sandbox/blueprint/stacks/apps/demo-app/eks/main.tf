# Stand-in of stacks/apps/demo-app/eks: the demo app's Helm release (deployed after ECS, as the blueprint orders it).

locals {
  suffix = substr(sha256("${var.environment}/apps/demo-app/eks"), 0, 8)
}

data "terraform_remote_state" "ecr" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/ecr/terraform.tfstate" })
}

data "terraform_remote_state" "eks" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/platform/eks/terraform.tfstate" })
}

# The stand-in "resource": its input is what the real stack would create, and it changes whenever an
# upstream output it reads changes, as a real dependent resource would.
resource "terraform_data" "this" {
  input = {
    stack = "apps/demo-app/eks"
    tags  = var.tags
    values = {
      release_name = "demo-app"
      namespace    = "demo"
      cluster_name = data.terraform_remote_state.eks.outputs.cluster_name
    }
    upstream = {
      ecr = data.terraform_remote_state.ecr.outputs
      eks = data.terraform_remote_state.eks.outputs
    }
  }
}
