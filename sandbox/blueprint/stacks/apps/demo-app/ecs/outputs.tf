output "service_name" {
  description = "service name (stand-in value)."
  value       = terraform_data.this.output.values.service_name
}

output "cluster_name" {
  description = "cluster name (stand-in value)."
  value       = terraform_data.this.output.values.cluster_name
}
