output "cluster_name" {
  description = "cluster name (stand-in value)."
  value       = terraform_data.this.output.values.cluster_name
}

output "cluster_arn" {
  description = "cluster arn (stand-in value)."
  value       = terraform_data.this.output.values.cluster_arn
}

output "exec_log_group_name" {
  description = "exec log group name (stand-in value)."
  value       = terraform_data.this.output.values.exec_log_group_name
}
