output "vpc_id" {
  description = "vpc id (stand-in value)."
  value       = terraform_data.this.output.values.vpc_id
}

output "vpc_cidr_block" {
  description = "vpc cidr block (stand-in value)."
  value       = terraform_data.this.output.values.vpc_cidr_block
}

output "availability_zones" {
  description = "availability zones (stand-in value)."
  value       = terraform_data.this.output.values.availability_zones
}

output "public_subnet_ids" {
  description = "public subnet ids (stand-in value)."
  value       = terraform_data.this.output.values.public_subnet_ids
}

output "private_subnet_ids" {
  description = "private subnet ids (stand-in value)."
  value       = terraform_data.this.output.values.private_subnet_ids
}

output "private_route_table_ids" {
  description = "private route table ids (stand-in value)."
  value       = terraform_data.this.output.values.private_route_table_ids
}

output "nat_public_ips" {
  description = "nat public ips (stand-in value)."
  value       = terraform_data.this.output.values.nat_public_ips
}

output "vpc_endpoints_security_group_id" {
  description = "vpc endpoints security group id (stand-in value)."
  value       = terraform_data.this.output.values.vpc_endpoints_security_group_id
}
