output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "availability_zones" {
  description = "Zones the subnets live in, in subnet order."
  value       = var.availability_zones
}

output "public_subnet_ids" {
  description = "Public subnet IDs (ALBs, NAT gateways), one per zone."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnet IDs (ECS tasks, EKS nodes and pods, data stores), one per zone."
  value       = aws_subnet.private[*].id
}

output "public_route_table_id" {
  description = "Route table of the public subnets."
  value       = aws_route_table.public.id
}

output "private_route_table_ids" {
  description = "Route tables of the private subnets, one per zone."
  value       = aws_route_table.private[*].id
}

output "nat_gateway_ids" {
  description = "NAT gateway IDs (empty with nat_strategy = none)."
  value       = aws_nat_gateway.this[*].id
}

output "nat_public_ips" {
  description = "Egress IPs of the NAT gateways, for allow-lists of third parties."
  value       = aws_eip.nat[*].public_ip
}

output "vpc_endpoints_security_group_id" {
  description = "Security group of the interface endpoints (null when endpoints are disabled)."
  value       = try(aws_security_group.endpoints[0].id, null)
}

output "interface_endpoint_ids" {
  description = "Interface endpoint IDs by service short name."
  value       = { for k, v in aws_vpc_endpoint.interface : k => v.id }
}
