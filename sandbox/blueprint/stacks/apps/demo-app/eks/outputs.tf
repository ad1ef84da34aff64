output "cluster_name" {
  description = "cluster name (stand-in value)."
  value       = terraform_data.this.output.values.cluster_name
}

output "namespace" {
  description = "namespace (stand-in value)."
  value       = terraform_data.this.output.values.namespace
}

output "release_name" {
  description = "release name (stand-in value)."
  value       = terraform_data.this.output.values.release_name
}

output "irsa_role_arn" {
  description = "irsa role arn (stand-in value)."
  value       = terraform_data.this.output.values.irsa_role_arn
}

output "helm_values" {
  description = "helm values (stand-in value)."
  value       = terraform_data.this.output.values.helm_values
}

output "helm_values_yaml" {
  description = "helm values yaml (stand-in value)."
  value       = terraform_data.this.output.values.helm_values_yaml
}

output "url" {
  description = "url (stand-in value)."
  value       = terraform_data.this.output.values.url
}
