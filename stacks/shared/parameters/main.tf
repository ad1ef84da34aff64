# Runtime configuration of the app: non-secret values in SSM Parameter Store under
# /<app>/<env>/app/, secrets in Secrets Manager under <app>/<env>/, both under one CMK.
# ECS reads them through task definition valueFrom; EKS through the External Secrets Operator.

data "terraform_remote_state" "s3" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/s3/terraform.tfstate" })
}

data "terraform_remote_state" "data" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/data/terraform.tfstate" })
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  parameter_path = "/${var.app_name}/${var.environment}/app/"
  secret_prefix  = "${var.app_name}/${var.environment}/"
  arn_prefix     = "arn:${data.aws_partition.current.partition}"

  # Only values that exist: a disabled data store leaves its readiness check unset.
  parameters = { for k, v in {
    S3_BUCKET        = data.terraform_remote_state.s3.outputs.app_bucket_name
    READY_S3_URL     = data.terraform_remote_state.s3.outputs.app_bucket_url
    READY_DB_ADDR    = data.terraform_remote_state.data.outputs.db_endpoint
    READY_REDIS_ADDR = data.terraform_remote_state.data.outputs.redis_endpoint
    LOG_LEVEL        = var.app_log_level
  } : k => v if v != null }
}

data "aws_iam_policy_document" "kms" {
  statement {
    sid       = "AccountIamDelegation"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["${local.arn_prefix}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "config" {
  description             = "Runtime configuration and secrets of ${var.app_name} (${var.environment})"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "config" {
  name          = "alias/${var.app_name}-${var.environment}-config"
  target_key_id = aws_kms_key.config.key_id
}

resource "aws_ssm_parameter" "app" {
  for_each = local.parameters

  name        = "${local.parameter_path}${each.key}"
  description = "${each.key} of ${var.app_name} (${var.environment})"
  type        = "String"
  tier        = "Standard"
  value       = each.value
}

# The secret containers only: values are written out of band (docs/runbooks/secret-rotation.md), so
# they never enter Terraform state, plans or the repository.
resource "aws_secretsmanager_secret" "app" {
  for_each = var.app_secret_names

  name                    = "${local.secret_prefix}${each.value}"
  description             = "${each.key} of ${var.app_name} (${var.environment})"
  kms_key_id              = aws_kms_key.config.arn
  recovery_window_in_days = 30
}
