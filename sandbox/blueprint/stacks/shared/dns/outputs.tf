output "zone_id" {
  description = "zone id (stand-in value)."
  value       = terraform_data.this.output.values.zone_id
}

output "zone_name" {
  description = "zone name (stand-in value)."
  value       = terraform_data.this.output.values.zone_name
}

output "zone_arn" {
  description = "zone arn (stand-in value)."
  value       = terraform_data.this.output.values.zone_arn
}

output "name_servers" {
  description = "name servers (stand-in value)."
  value       = terraform_data.this.output.values.name_servers
}

output "private_zone_id" {
  description = "private zone id (stand-in value)."
  value       = terraform_data.this.output.values.private_zone_id
}

output "private_zone_name" {
  description = "private zone name (stand-in value)."
  value       = terraform_data.this.output.values.private_zone_name
}

output "certificate_arn" {
  description = "certificate arn (stand-in value)."
  value       = terraform_data.this.output.values.certificate_arn
}
