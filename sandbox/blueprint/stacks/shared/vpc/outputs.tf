output "vpc_id" {
  description = "vpc id (stand-in value)."
  value       = terraform_data.this.output.values.vpc_id
}

output "private_subnet_ids" {
  description = "private subnet ids (stand-in value)."
  value       = terraform_data.this.output.values.private_subnet_ids
}

output "public_subnet_ids" {
  description = "public subnet ids (stand-in value)."
  value       = terraform_data.this.output.values.public_subnet_ids
}
