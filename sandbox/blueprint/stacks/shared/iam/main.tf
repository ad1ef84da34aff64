# Stand-in of stacks/shared/iam: CI roles allowed to push to the repository.

locals {
  suffix = substr(sha256("${var.environment}/shared/iam"), 0, 8)
}

data "terraform_remote_state" "ecr" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/ecr/terraform.tfstate" })
}

# The stand-in "resource": its input is what the real stack would create, and it changes whenever an
# upstream output it reads changes, as a real dependent resource would.
resource "terraform_data" "this" {
  input = {
    stack = "shared/iam"
    tags  = var.tags
    values = {
      ci_build_role_arn   = "arn:aws:iam::123456789012:role/${var.environment}-ci-build"
      ecs_deploy_role_arn = "arn:aws:iam::123456789012:role/${var.environment}-ecs-deploy"
      eks_deploy_role_arn = "arn:aws:iam::123456789012:role/${var.environment}-eks-deploy"
    }
    upstream = {
      ecr = data.terraform_remote_state.ecr.outputs
    }
  }
}
