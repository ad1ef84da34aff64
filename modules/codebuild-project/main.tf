# The CodeBuild project that runs buildspec.yml for one environment: the same Dagger functions as a
# laptop and GitHub Actions. Privileged mode: the Dagger CLI starts its engine as a container. The
# service role (modules/iam) trusts only this project and chains into the apply and deploy roles,
# whose ARNs the buildspec reads from the environment variables set here.

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/codebuild/${var.name}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

resource "aws_codebuild_project" "this" {
  name          = var.name
  description   = "Delivery pipeline of ${var.environment}: buildspec.yml (apply, then build once, publish, deploy to ECS and EKS, verify)"
  service_role  = var.service_role_arn
  build_timeout = var.build_timeout_minutes

  source {
    type            = "GITHUB"
    location        = "https://github.com/${var.github_repository}.git"
    buildspec       = "buildspec.yml"
    git_clone_depth = 1

    dynamic "auth" {
      for_each = var.source_connection_arn == null ? [] : [var.source_connection_arn]
      content {
        type     = "CODECONNECTIONS"
        resource = auth.value
      }
    }
  }
  source_version = var.source_version

  artifacts {
    type      = "S3"
    location  = var.artifact_bucket_name
    path      = "codebuild"
    packaging = "NONE"
  }

  environment {
    compute_type                = var.compute_type
    image                       = var.image
    type                        = "LINUX_CONTAINER"
    privileged_mode             = true
    image_pull_credentials_type = "CODEBUILD"

    environment_variable {
      name  = "DELIVERY_ENV"
      value = var.environment
    }
    environment_variable {
      name  = "APPLY_ROLE_ARN"
      value = var.apply_role_arn
    }
    environment_variable {
      name  = "DEPLOY_ROLE_ARN"
      value = var.deploy_role_arn
    }
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.this.name
      status     = "ENABLED"
    }
  }

  tags = var.tags
}
