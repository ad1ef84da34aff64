# Stand-in of stacks/platform/ecs: the ECS cluster.

locals {
  suffix = substr(sha256("${var.environment}/platform/ecs"), 0, 8)
}

data "terraform_remote_state" "shared_iam" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/iam/terraform.tfstate" })
}

# The stand-in "resource": its input is what the real stack would create, and it changes whenever an
# upstream output it reads changes, as a real dependent resource would.
resource "terraform_data" "this" {
  input = {
    stack = "platform/ecs"
    tags  = var.tags
    values = {
      cluster_name        = "cluster_name-${local.suffix}"
      cluster_arn         = "cluster_arn-${local.suffix}"
      exec_log_group_name = "exec_log_group_name-${local.suffix}"
    }
    upstream = {
      shared_iam = data.terraform_remote_state.shared_iam.outputs
    }
  }
}
