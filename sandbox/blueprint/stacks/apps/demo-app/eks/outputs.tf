output "release_name" {
  description = "release name (stand-in value)."
  value       = terraform_data.this.output.values.release_name
}

output "namespace" {
  description = "namespace (stand-in value)."
  value       = terraform_data.this.output.values.namespace
}

output "cluster_name" {
  description = "cluster name (stand-in value)."
  value       = terraform_data.this.output.values.cluster_name
}
