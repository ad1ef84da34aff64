output "vpc_id" {
  description = "VPC ID."
  value       = module.network.vpc_id
}

output "vpc_cidr_block" {
  description = "VPC CIDR."
  value       = module.network.vpc_cidr_block
}

output "availability_zones" {
  description = "Zones in use."
  value       = module.network.availability_zones
}

output "public_subnet_ids" {
  description = "Public subnets (ALBs)."
  value       = module.network.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnets (tasks, nodes, data stores)."
  value       = module.network.private_subnet_ids
}

output "private_route_table_ids" {
  description = "Private route tables."
  value       = module.network.private_route_table_ids
}

output "nat_public_ips" {
  description = "NAT egress IPs."
  value       = module.network.nat_public_ips
}

output "vpc_endpoints_security_group_id" {
  description = "Security group of the interface endpoints (null when disabled)."
  value       = module.network.vpc_endpoints_security_group_id
}
