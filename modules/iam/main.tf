# The CI identities of one environment's account. Every trust and permission policy is a template in
# policies/, loaded with templatefile(): internal/iampolicy renders the same files with the same inputs,
# and the sandbox's twin accounts seed and enforce what it renders.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.name

  github = var.github_oidc_provider_arn != null && var.github_repository != null

  # One role per purpose. plan and drift exist for GitHub Actions jobs only; apply and deploy are also
  # assumed by the CodeBuild project's role, one buildspec step each. A purpose no workflow job of this
  # environment runs (github_purposes) trusts no GitHub subject.
  github_purposes = local.github ? var.github_purposes : []
  purposes        = concat([for p in ["plan", "drift"] : p if contains(local.github_purposes, p)], ["apply", "deploy"])
  descriptions = {
    plan   = "Read-only terraform plan of ${var.name_prefix}: no writes, no secret values, no state lock"
    drift  = "Read-only scheduled drift detection of ${var.name_prefix}"
    apply  = "terraform apply of the ${var.name_prefix} stacks, scoped to the services and names they manage"
    deploy = "Image push, ECS and EKS deploys, promotion pulls of ${var.name_prefix}"
  }
  github_environment_names = distinct([for p in local.purposes : var.github_environments[p] if contains(local.github_purposes, p)])
  subjects = {
    for p in local.purposes : p => contains(local.github_purposes, p) ? ["repo:${var.github_repository}:environment:${var.github_environments[p]}"] : []
  }
}

# --- CodeBuild project role (trust pinned to the project with aws:SourceArn) ---------------------------

resource "aws_iam_role" "codebuild" {
  name        = "${var.name_prefix}-ci-codebuild"
  description = "Service role of the ${var.codebuild_project_name} CodeBuild project: logs, artifacts, then the apply and deploy roles"
  assume_role_policy = templatefile("${path.module}/policies/trust-codebuild.json.tftpl", {
    partition    = local.partition
    region       = local.region
    account_id   = local.account
    project_name = var.codebuild_project_name
  })
  max_session_duration = var.max_session_duration
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

resource "aws_iam_role_policy" "codebuild" {
  name = "codebuild"
  role = aws_iam_role.codebuild.id
  policy = templatefile("${path.module}/policies/codebuild.json.tftpl", {
    partition        = local.partition
    region           = local.region
    account_id       = local.account
    project_name     = var.codebuild_project_name
    artifact_bucket  = var.artifact_bucket_name
    assume_role_arns = [aws_iam_role.ci["apply"].arn, aws_iam_role.ci["deploy"].arn]
    connection_arns  = var.codebuild_source_connection_arn == null ? [] : [var.codebuild_source_connection_arn]
  })
}

# --- GitHub Actions roles, trust pinned to the exact subjects of their jobs ---------------------------

resource "aws_iam_role" "ci" {
  for_each = toset(local.purposes)

  name        = "${var.name_prefix}-ci-${each.key}"
  description = local.descriptions[each.key]
  assume_role_policy = templatefile("${path.module}/policies/trust-ci.json.tftpl", {
    oidc_provider_arn  = contains(local.github_purposes, each.key) ? var.github_oidc_provider_arn : null
    subjects           = local.subjects[each.key]
    codebuild_role_arn = contains(["apply", "deploy"], each.key) ? aws_iam_role.codebuild.arn : null
  })
  max_session_duration = var.max_session_duration
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

# --- plan and drift: ReadOnlyAccess, minus secret values and data, plus this environment's state -------

resource "aws_iam_role_policy_attachment" "read_only" {
  for_each = toset([for p in local.purposes : p if contains(["plan", "drift"], p)])

  role       = aws_iam_role.ci[each.key].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_role_policy" "read_only" {
  for_each = toset([for p in local.purposes : p if contains(["plan", "drift"], p)])

  name = "read-only"
  role = aws_iam_role.ci[each.key].id
  policy = templatefile("${path.module}/policies/read-only.json.tftpl", {
    partition        = local.partition
    region           = local.region
    account_id       = local.account
    state_bucket     = var.state_bucket_name
    state_key_prefix = var.state_key_prefix
    parameter_path   = var.parameter_path
  })
}

# --- apply ---------------------------------------------------------------------------------------------

resource "aws_iam_role_policy" "apply" {
  name = "apply"
  role = aws_iam_role.ci["apply"].id
  policy = templatefile("${path.module}/policies/apply.json.tftpl", {
    partition        = local.partition
    region           = local.region
    account_id       = local.account
    state_bucket     = var.state_bucket_name
    state_key_prefix = var.state_key_prefix
    name_prefixes    = var.apply_name_prefixes
  })
}

# --- deploy ----------------------------------------------------------------------------------------------

resource "aws_iam_role_policy" "deploy" {
  name = "deploy"
  role = aws_iam_role.ci["deploy"].id
  policy = templatefile("${path.module}/policies/deploy.json.tftpl", {
    partition          = local.partition
    region             = local.region
    account_id         = local.account
    ecr_repositories   = var.ecr_repositories
    ecs_cluster        = var.ecs_cluster_name
    ecs_services       = var.ecs_service_names
    task_role_patterns = var.ecs_task_role_name_patterns
    eks_cluster        = var.eks_cluster_name
    promotion_sources  = var.promotion_sources
    # Image signing: sign with this environment's keys, read the public keys the deploy gate trusts.
    signing_key_aliases  = var.signing_key_aliases
    trusted_signing_keys = var.trusted_signing_keys
  })
}
