output "db_endpoint" {
  description = "host:port of the database (null when disabled)."
  value       = try(module.rds[0].endpoint, null)
}

output "db_master_secret_arn" {
  description = "Secrets Manager secret of the RDS-managed master credentials (null when disabled)."
  value       = try(module.rds[0].master_user_secret_arn, null)
}

output "redis_endpoint" {
  description = "host:port of the Redis primary (null when disabled)."
  value       = try(module.redis[0].endpoint, null)
}
