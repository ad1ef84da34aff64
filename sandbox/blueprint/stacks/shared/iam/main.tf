# Stand-in of stacks/shared/iam: the CI roles (centralised IAM).

locals {
  suffix = substr(sha256("${var.environment}/shared/iam"), 0, 8)
}

data "terraform_remote_state" "shared_ecr" {
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
      plan_role_arn            = "plan_role_arn-${local.suffix}"
      drift_role_arn           = "drift_role_arn-${local.suffix}"
      apply_role_arn           = "apply_role_arn-${local.suffix}"
      deploy_role_arn          = "deploy_role_arn-${local.suffix}"
      codebuild_role_arn       = "codebuild_role_arn-${local.suffix}"
      ci_role_arns             = ["ci_role_arns-${local.suffix}-1", "ci_role_arns-${local.suffix}-2"]
      github_environments      = ["github_environments-${local.suffix}-1", "github_environments-${local.suffix}-2"]
      eks_access_entries       = ["eks_access_entries-${local.suffix}-1", "eks_access_entries-${local.suffix}-2"]
      eks_deployer_group       = "eks_deployer_group-${local.suffix}"
      github_oidc_provider_arn = "github_oidc_provider_arn-${local.suffix}"
      artifact_bucket_name     = "artifact_bucket_name-${local.suffix}"
      codebuild_project_name   = "codebuild_project_name-${local.suffix}"
      ecs_cluster_name         = "ecs_cluster_name-${local.suffix}"
      eks_cluster_name         = "eks_cluster_name-${local.suffix}"
    }
    upstream = {
      shared_ecr = data.terraform_remote_state.shared_ecr.outputs
    }
  }
}
