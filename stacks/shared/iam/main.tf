# Central CI identities of the environment: one role per purpose (plan, drift, apply, deploy) for
# GitHub Actions, the CodeBuild project's role, and the EKS access entries of the deploy, plan and
# drift roles (applied by stacks/platform/eks). Runtime roles (ECS task roles, IRSA) live with their
# workloads; this stack also decides the names the CI roles are scoped to (clusters, artifact bucket).
# docs/identities.md maps every workflow job to its subject and role.

data "terraform_remote_state" "ecr" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/ecr/terraform.tfstate" })
}

data "aws_partition" "current" {}

locals {
  name                 = "${var.project}-${var.environment}"
  artifact_bucket_name = "${local.name}-artifacts-${var.account_id}-${var.region}"
  github_issuer        = "token.actions.githubusercontent.com"

  signing_key_aliases = [for r in keys(data.terraform_remote_state.ecr.outputs.repository_arns) : "alias/${replace(r, "/", "-")}-${var.environment}-signing"]

  # GitHub environments, one per kind of job: <env> for apply and deploy (main only, reviewers in
  # production), <env>-plan for plans (pull requests too) and <env>-drift for the schedule.
  github_environments = {
    plan   = "${var.environment}-plan"
    drift  = "${var.environment}-drift"
    apply  = var.environment
    deploy = var.environment
  }
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
    : "arn:${data.aws_partition.current.partition}:iam::${var.account_id}:oidc-provider/${local.github_issuer}"
  )
}

module "ci_roles" {
  source = "../../../modules/iam"

  name_prefix              = local.name
  github_oidc_provider_arn = local.github_provider_arn
  github_repository        = var.github_repository
  github_purposes          = var.github_role_purposes
  github_environments      = local.github_environments

  state_bucket_name   = var.remote_state["bucket"]
  state_key_prefix    = var.environment
  parameter_path      = "/${var.app_name}/${var.environment}/app"
  apply_name_prefixes = [local.name, "${var.app_name}-${var.environment}"]

  ecr_repositories            = keys(data.terraform_remote_state.ecr.outputs.repository_arns)
  ecs_cluster_name            = local.name
  ecs_service_names           = [var.app_name]
  ecs_task_role_name_patterns = ["${var.app_name}-${var.environment}-ecs-*"]
  eks_cluster_name            = local.name
  eks_namespaces              = var.app_namespaces
  promotion_sources           = var.promotion_source == null ? [] : [{ account_id = var.promotion_source.account_id, region = var.promotion_source.region }]
  # Image signing keys (stacks/shared/ecr names them alias/<repository>-<environment>-signing): sign with
  # this environment's; the deploy gate reads this environment's and the promotion source's.
  signing_key_aliases = local.signing_key_aliases
  trusted_signing_keys = concat(
    [{ account_id = var.account_id, region = var.region, aliases = local.signing_key_aliases }],
    var.promotion_source == null ? [] : [{
      account_id = var.promotion_source.account_id
      region     = var.promotion_source.region
      aliases    = [for r in keys(data.terraform_remote_state.ecr.outputs.repository_arns) : "alias/${replace(r, "/", "-")}-${var.promotion_source.environment}-signing"]
    }],
  )

  codebuild_project_name          = "${local.name}-pipeline"
  codebuild_source_connection_arn = var.codebuild_source_connection_arn
  artifact_bucket_name            = local.artifact_bucket_name
}
