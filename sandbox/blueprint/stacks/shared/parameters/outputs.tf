output "parameter_path" {
  description = "parameter path (stand-in value)."
  value       = terraform_data.this.output.values.parameter_path
}

output "parameter_path_arn" {
  description = "parameter path arn (stand-in value)."
  value       = terraform_data.this.output.values.parameter_path_arn
}

output "parameter_arns" {
  description = "parameter arns (stand-in value)."
  value       = terraform_data.this.output.values.parameter_arns
}

output "secret_prefix" {
  description = "secret prefix (stand-in value)."
  value       = terraform_data.this.output.values.secret_prefix
}

output "secret_prefix_arn" {
  description = "secret prefix arn (stand-in value)."
  value       = terraform_data.this.output.values.secret_prefix_arn
}

output "secret_arns" {
  description = "secret arns (stand-in value)."
  value       = terraform_data.this.output.values.secret_arns
}

output "secret_names" {
  description = "secret names (stand-in value)."
  value       = terraform_data.this.output.values.secret_names
}

output "kms_key_arn" {
  description = "kms key arn (stand-in value)."
  value       = terraform_data.this.output.values.kms_key_arn
}

output "ecs_secrets" {
  description = "ecs secrets (stand-in value)."
  value       = terraform_data.this.output.values.ecs_secrets
}
