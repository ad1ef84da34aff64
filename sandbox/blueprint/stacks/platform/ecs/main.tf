# Stand-in of stacks/platform/ecs: the ECS cluster in the shared VPC.

locals {
  suffix = substr(sha256("${var.environment}/platform/ecs"), 0, 8)
}

data "terraform_remote_state" "iam" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/iam/terraform.tfstate" })
}

data "terraform_remote_state" "vpc" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/vpc/terraform.tfstate" })
}

# The stand-in "resource": its input is what the real stack would create, and it changes whenever an
# upstream output it reads changes, as a real dependent resource would.
resource "terraform_data" "this" {
  input = {
    stack = "platform/ecs"
    tags  = var.tags
    values = {
      cluster_name = "demo-${var.environment}"
      cluster_arn  = "arn:aws:ecs:${var.region}:123456789012:cluster/demo-${var.environment}"
    }
    upstream = {
      iam = data.terraform_remote_state.iam.outputs
      vpc = data.terraform_remote_state.vpc.outputs
    }
  }
}
