output "primary_endpoint" {
  description = "Primary endpoint host."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "endpoint" {
  description = "host:port of the primary (the app's READY_REDIS_ADDR)."
  value       = "${aws_elasticache_replication_group.this.primary_endpoint_address}:6379"
}

output "reader_endpoint" {
  description = "Reader endpoint host."
  value       = aws_elasticache_replication_group.this.reader_endpoint_address
}

output "security_group_id" {
  description = "Security group of the cache."
  value       = aws_security_group.this.id
}
