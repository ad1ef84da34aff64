output "cluster_name" {
  description = "cluster name (stand-in value)."
  value       = terraform_data.this.output.values.cluster_name
}

output "cluster_arn" {
  description = "cluster arn (stand-in value)."
  value       = terraform_data.this.output.values.cluster_arn
}

output "cluster_endpoint" {
  description = "cluster endpoint (stand-in value)."
  value       = terraform_data.this.output.values.cluster_endpoint
}

output "cluster_certificate_authority_data" {
  description = "cluster certificate authority data (stand-in value)."
  value       = terraform_data.this.output.values.cluster_certificate_authority_data
}

output "cluster_security_group_id" {
  description = "cluster security group id (stand-in value)."
  value       = terraform_data.this.output.values.cluster_security_group_id
}

output "oidc_provider_arn" {
  description = "oidc provider arn (stand-in value)."
  value       = terraform_data.this.output.values.oidc_provider_arn
}

output "oidc_provider_url" {
  description = "oidc provider url (stand-in value)."
  value       = terraform_data.this.output.values.oidc_provider_url
}

output "node_role_arn" {
  description = "node role arn (stand-in value)."
  value       = terraform_data.this.output.values.node_role_arn
}

output "lb_controller_role_arn" {
  description = "lb controller role arn (stand-in value)."
  value       = terraform_data.this.output.values.lb_controller_role_arn
}

output "external_dns_role_arn" {
  description = "external dns role arn (stand-in value)."
  value       = terraform_data.this.output.values.external_dns_role_arn
}

output "external_secrets_role_arn" {
  description = "external secrets role arn (stand-in value)."
  value       = terraform_data.this.output.values.external_secrets_role_arn
}

output "cluster_secret_store_name" {
  description = "cluster secret store name (stand-in value)."
  value       = terraform_data.this.output.values.cluster_secret_store_name
}
