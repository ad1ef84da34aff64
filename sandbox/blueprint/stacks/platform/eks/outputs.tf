output "cluster_name" {
  description = "cluster name (stand-in value)."
  value       = terraform_data.this.output.values.cluster_name
}

output "oidc_provider_arn" {
  description = "oidc provider arn (stand-in value)."
  value       = terraform_data.this.output.values.oidc_provider_arn
}
