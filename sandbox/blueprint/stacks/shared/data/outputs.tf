output "db_endpoint" {
  description = "db endpoint (stand-in value)."
  value       = terraform_data.this.output.values.db_endpoint
}

output "db_master_secret_arn" {
  description = "db master secret arn (stand-in value)."
  value       = terraform_data.this.output.values.db_master_secret_arn
}

output "redis_endpoint" {
  description = "redis endpoint (stand-in value)."
  value       = terraform_data.this.output.values.redis_endpoint
}
