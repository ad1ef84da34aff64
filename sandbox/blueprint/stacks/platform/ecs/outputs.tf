output "cluster_name" {
  description = "cluster name (stand-in value)."
  value       = terraform_data.this.output.values.cluster_name
}

output "cluster_arn" {
  description = "cluster arn (stand-in value)."
  value       = terraform_data.this.output.values.cluster_arn
}
