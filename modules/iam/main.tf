data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.name

  project_prefix = coalesce(var.codebuild_project_name_prefix, var.name_prefix)
  github_enabled = var.github_oidc_provider_arn != null && length(var.github_subjects) > 0

  # Which AWS service runs each role besides GitHub Actions.
  roles = {
    pipeline   = { service = "codepipeline.amazonaws.com", description = "Runs the single-build dual-deploy pipeline: starts builds, moves artifacts" }
    build      = { service = "codebuild.amazonaws.com", description = "Builds and pushes the app image, writes artifact.json" }
    deploy-ecs = { service = "codebuild.amazonaws.com", description = "Registers task definitions and updates the ECS service" }
    deploy-eks = { service = "codebuild.amazonaws.com", description = "Describes the EKS cluster; Kubernetes rights come from its access entry" }
    plan       = { service = "codebuild.amazonaws.com", description = "Read-only Terraform plan and drift detection for this environment" }
  }

  ecs_cluster_arn  = "arn:${local.partition}:ecs:${local.region}:${local.account}:cluster/${var.ecs_cluster_name}"
  ecs_service_arns = [for s in var.ecs_service_names : "arn:${local.partition}:ecs:${local.region}:${local.account}:service/${var.ecs_cluster_name}/${s}"]
  eks_cluster_arn  = "arn:${local.partition}:eks:${local.region}:${local.account}:cluster/${var.eks_cluster_name}"
  log_group_arns = [
    "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws/codebuild/${local.project_prefix}-*",
    "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws/codebuild/${local.project_prefix}-*:*",
  ]
}

# --- Trust -----------------------------------------------------------------------------------------

data "aws_iam_policy_document" "trust" {
  for_each = local.roles

  statement {
    sid     = "AwsService"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = [each.value.service]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }

  dynamic "statement" {
    for_each = local.github_enabled ? [1] : []
    content {
      sid     = "GitHubActions"
      actions = ["sts:AssumeRoleWithWebIdentity"]
      principals {
        type        = "Federated"
        identifiers = [var.github_oidc_provider_arn]
      }
      condition {
        test     = "StringEquals"
        variable = "token.actions.githubusercontent.com:aud"
        values   = ["sts.amazonaws.com"]
      }
      condition {
        test     = "StringLike"
        variable = "token.actions.githubusercontent.com:sub"
        values   = var.github_subjects
      }
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = local.roles

  name                 = "${var.name_prefix}-ci-${each.key}"
  description          = each.value.description
  assume_role_policy   = data.aws_iam_policy_document.trust[each.key].json
  max_session_duration = var.max_session_duration
  permissions_boundary = var.permissions_boundary_arn

  tags = var.tags
}

# --- Shared statements -----------------------------------------------------------------------------

data "aws_iam_policy_document" "artifacts_rw" {
  statement {
    sid       = "ArtifactObjects"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = ["${var.artifact_bucket_arn}/*"]
  }
  statement {
    sid       = "ArtifactBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketVersioning"]
    resources = [var.artifact_bucket_arn]
  }
}

data "aws_iam_policy_document" "codebuild_logs" {
  statement {
    sid       = "BuildLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = local.log_group_arns
  }
}

data "aws_iam_policy_document" "ecr_read" {
  statement {
    sid       = "EcrToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # GetAuthorizationToken has no resource-level permissions.
  }
  statement {
    sid = "EcrRead"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:DescribeImages",
      "ecr:DescribeRepositories",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = var.ecr_repository_arns
  }
}

# --- pipeline --------------------------------------------------------------------------------------

data "aws_iam_policy_document" "pipeline" {
  source_policy_documents = [data.aws_iam_policy_document.artifacts_rw.json]

  statement {
    sid     = "RunBuilds"
    actions = ["codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StopBuild"]
    resources = [
      "arn:${local.partition}:codebuild:${local.region}:${local.account}:project/${local.project_prefix}-*",
    ]
  }

  dynamic "statement" {
    for_each = var.codestar_connection_arn == null ? [] : [var.codestar_connection_arn]
    content {
      sid       = "SourceConnection"
      actions   = ["codestar-connections:UseConnection", "codeconnections:UseConnection"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "pipeline"
  role   = aws_iam_role.this["pipeline"].id
  policy = data.aws_iam_policy_document.pipeline.json
}

# --- build -----------------------------------------------------------------------------------------

data "aws_iam_policy_document" "build" {
  source_policy_documents = [
    data.aws_iam_policy_document.artifacts_rw.json,
    data.aws_iam_policy_document.codebuild_logs.json,
    data.aws_iam_policy_document.ecr_read.json,
  ]

  statement {
    sid = "EcrPush"
    actions = [
      "ecr:CompleteLayerUpload",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = var.ecr_repository_arns
  }
}

resource "aws_iam_role_policy" "build" {
  name   = "build"
  role   = aws_iam_role.this["build"].id
  policy = data.aws_iam_policy_document.build.json
}

# --- deploy-ecs ------------------------------------------------------------------------------------

data "aws_iam_policy_document" "deploy_ecs" {
  source_policy_documents = [
    data.aws_iam_policy_document.artifacts_rw.json,
    data.aws_iam_policy_document.codebuild_logs.json,
    data.aws_iam_policy_document.ecr_read.json,
  ]

  statement {
    sid = "TaskDefinitions"
    # Task definition APIs have no resource-level permissions.
    actions   = ["ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitions"]
    resources = ["*"]
  }
  statement {
    sid       = "TagNewTaskDefinitions"
    actions   = ["ecs:TagResource"]
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account}:task-definition/*"]
    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["RegisterTaskDefinition"]
    }
  }
  statement {
    sid       = "Services"
    actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
    resources = local.ecs_service_arns
  }
  statement {
    sid       = "ClusterRead"
    actions   = ["ecs:DescribeClusters", "ecs:ListServices", "ecs:ListTasks", "ecs:DescribeTasks"]
    resources = [local.ecs_cluster_arn, "arn:${local.partition}:ecs:${local.region}:${local.account}:task/${var.ecs_cluster_name}/*"]
  }
  statement {
    sid       = "PassTaskRoles"
    actions   = ["iam:PassRole"]
    resources = [for p in var.ecs_task_role_name_patterns : "arn:${local.partition}:iam::${local.account}:role/${p}"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "deploy_ecs" {
  name   = "deploy-ecs"
  role   = aws_iam_role.this["deploy-ecs"].id
  policy = data.aws_iam_policy_document.deploy_ecs.json
}

# --- deploy-eks ------------------------------------------------------------------------------------

data "aws_iam_policy_document" "deploy_eks" {
  source_policy_documents = [
    data.aws_iam_policy_document.artifacts_rw.json,
    data.aws_iam_policy_document.codebuild_logs.json,
    data.aws_iam_policy_document.ecr_read.json,
  ]

  statement {
    sid       = "DescribeCluster"
    actions   = ["eks:DescribeCluster"]
    resources = [local.eks_cluster_arn]
  }
}

resource "aws_iam_role_policy" "deploy_eks" {
  name   = "deploy-eks"
  role   = aws_iam_role.this["deploy-eks"].id
  policy = data.aws_iam_policy_document.deploy_eks.json
}

# --- plan (read-only terraform plan / drift) -------------------------------------------------------

resource "aws_iam_role_policy_attachment" "plan_read_only" {
  role       = aws_iam_role.this["plan"].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

data "aws_iam_policy_document" "plan" {
  source_policy_documents = [
    data.aws_iam_policy_document.artifacts_rw.json,
    data.aws_iam_policy_document.codebuild_logs.json,
  ]

  statement {
    sid       = "StateRead"
    actions   = ["s3:GetObject"]
    resources = ["${var.state_bucket_arn}/${var.state_key_prefix}/*"]
  }
  statement {
    sid       = "StateLockFiles"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.state_bucket_arn}/${var.state_key_prefix}/*.tflock"]
  }
  statement {
    sid       = "StateList"
    actions   = ["s3:ListBucket"]
    resources = [var.state_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.state_key_prefix}/*"]
    }
  }
}

resource "aws_iam_role_policy" "plan" {
  name   = "plan"
  role   = aws_iam_role.this["plan"].id
  policy = data.aws_iam_policy_document.plan.json
}
