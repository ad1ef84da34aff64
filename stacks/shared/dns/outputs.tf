output "zone_id" {
  description = "Public hosted zone ID."
  value       = local.zone_id
}

output "zone_name" {
  description = "Public zone name."
  value       = local.zone_name
}

output "zone_arn" {
  description = "Public hosted zone ARN (ExternalDNS permissions)."
  value       = "arn:aws:route53:::hostedzone/${local.zone_id}"
}

output "name_servers" {
  description = "Name servers to delegate the zone to (only when created here)."
  value       = var.create_hosted_zone ? aws_route53_zone.public[0].name_servers : []
}

output "private_zone_id" {
  description = "Private zone ID (internal.<zone>)."
  value       = aws_route53_zone.private.zone_id
}

output "private_zone_name" {
  description = "Private zone name."
  value       = aws_route53_zone.private.name
}

output "certificate_arn" {
  description = "Validated ACM certificate for <zone> and *.<zone> (ALB listeners, Ingress)."
  value       = aws_acm_certificate_validation.this.certificate_arn
}
