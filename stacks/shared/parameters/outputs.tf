output "parameter_path" {
  description = "SSM path of the app's parameters (/<app>/<env>/app/)."
  value       = local.parameter_path
}

output "parameter_path_arn" {
  description = "ARN pattern covering every parameter under the path (IAM resources)."
  value       = "${local.arn_prefix}:ssm:${var.region}:${data.aws_caller_identity.current.account_id}:parameter${local.parameter_path}*"
}

output "parameter_arns" {
  description = "Parameter ARNs by environment variable name."
  value       = { for k, p in aws_ssm_parameter.app : k => p.arn }
}

output "secret_prefix" {
  description = "Secrets Manager name prefix of the app (<app>/<env>/)."
  value       = local.secret_prefix
}

output "secret_prefix_arn" {
  description = "ARN pattern covering the app's secrets (IAM resources)."
  value       = "${local.arn_prefix}:secretsmanager:${var.region}:${data.aws_caller_identity.current.account_id}:secret:${local.secret_prefix}*"
}

output "secret_arns" {
  description = "Secret ARNs by environment variable name."
  value       = { for k, s in aws_secretsmanager_secret.app : k => s.arn }
}

output "secret_names" {
  description = "Secret names by environment variable name (ExternalSecret remoteRef keys)."
  value       = { for k, s in aws_secretsmanager_secret.app : k => s.name }
}

output "kms_key_arn" {
  description = "CMK encrypting the secrets."
  value       = aws_kms_key.config.arn
}

output "ecs_secrets" {
  description = "Task definition secrets: environment variable name => valueFrom ARN (parameters and secrets)."
  value = merge(
    { for k, p in aws_ssm_parameter.app : k => p.arn },
    { for k, s in aws_secretsmanager_secret.app : k => s.arn },
  )
}
