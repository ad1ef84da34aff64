output "repository_urls" {
  description = "repository urls (stand-in value)."
  value       = terraform_data.this.output.values.repository_urls
}

output "repository_arns" {
  description = "repository arns (stand-in value)."
  value       = terraform_data.this.output.values.repository_arns
}

output "registry_id" {
  description = "registry id (stand-in value)."
  value       = terraform_data.this.output.values.registry_id
}

output "kms_key_arn" {
  description = "kms key arn (stand-in value)."
  value       = terraform_data.this.output.values.kms_key_arn
}

output "signing_key_arns" {
  description = "signing key arns (stand-in value)."
  value       = terraform_data.this.output.values.signing_key_arns
}

output "signing_key_aliases" {
  description = "signing key aliases (stand-in value)."
  value       = terraform_data.this.output.values.signing_key_aliases
}
