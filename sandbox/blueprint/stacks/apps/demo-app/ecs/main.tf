# Stand-in of stacks/apps/demo-app/ecs: the ECS service of the demo app.

locals {
  suffix = substr(sha256("${var.environment}/apps/demo-app/ecs"), 0, 8)
}

data "terraform_remote_state" "ecr" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/ecr/terraform.tfstate" })
}

data "terraform_remote_state" "ecs" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/platform/ecs/terraform.tfstate" })
}

data "terraform_remote_state" "vpc" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/vpc/terraform.tfstate" })
}

# The stand-in "resource": its input is what the real stack would create, and it changes whenever an
# upstream output it reads changes, as a real dependent resource would.
resource "terraform_data" "this" {
  input = {
    stack = "apps/demo-app/ecs"
    tags  = var.tags
    values = {
      service_name = "demo-app"
      cluster_name = data.terraform_remote_state.ecs.outputs.cluster_name
    }
    upstream = {
      ecr = data.terraform_remote_state.ecr.outputs
      ecs = data.terraform_remote_state.ecs.outputs
      vpc = data.terraform_remote_state.vpc.outputs
    }
  }
}
