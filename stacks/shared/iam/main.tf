# Central CI identities of the environment. Runtime roles (ECS task roles, IRSA) live with their
# workloads; this stack also decides the names the CI roles are scoped to (clusters, artifact bucket).

data "terraform_remote_state" "ecr" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/ecr/terraform.tfstate" })
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name                 = "${var.project}-${var.environment}"
  account_id           = data.aws_caller_identity.current.account_id
  artifact_bucket_name = "${local.name}-artifacts-${local.account_id}-${var.region}"
  github_issuer        = "token.actions.githubusercontent.com"
}

# --- GitHub Actions OIDC (one per account) ---------------------------------------------------------

data "tls_certificate" "github" {
  count = var.github_repository != null && var.create_github_oidc_provider ? 1 : 0

  url = "https://${local.github_issuer}/.well-known/openid-configuration"
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.github_repository != null && var.create_github_oidc_provider ? 1 : 0

  url             = "https://${local.github_issuer}"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = [data.tls_certificate.github[0].certificates[length(data.tls_certificate.github[0].certificates) - 1].sha1_fingerprint]
}

locals {
  github_provider_arn = var.github_repository == null ? null : (
    var.create_github_oidc_provider
    ? aws_iam_openid_connect_provider.github[0].arn
    : "arn:${data.aws_partition.current.partition}:iam::${local.account_id}:oidc-provider/${local.github_issuer}"
  )
}

module "ci_roles" {
  source = "../../../modules/iam"

  name_prefix              = local.name
  github_oidc_provider_arn = local.github_provider_arn
  # Only jobs bound to this GitHub environment (with its protection rules) may assume the roles.
  github_subjects = var.github_repository == null ? [] : ["repo:${var.github_repository}:environment:${var.environment}"]

  ecr_repository_arns = values(data.terraform_remote_state.ecr.outputs.repository_arns)
  artifact_bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${local.artifact_bucket_name}"
  state_bucket_arn    = "arn:${data.aws_partition.current.partition}:s3:::${var.remote_state["bucket"]}"
  state_key_prefix    = var.environment

  ecs_cluster_name            = local.name
  ecs_service_names           = [var.app_name]
  ecs_task_role_name_patterns = ["${var.app_name}-${var.environment}-ecs-*"]
  eks_cluster_name            = local.name

  codestar_connection_arn = var.codestar_connection_arn
}
