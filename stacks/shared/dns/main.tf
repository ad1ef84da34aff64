# Hosted zones and the environment's wildcard certificate. App records are written by their owners:
# the ECS app stack (alias to its ALB) and ExternalDNS (Ingress hosts on EKS).

data "terraform_remote_state" "vpc" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/vpc/terraform.tfstate" })
}

resource "aws_route53_zone" "public" {
  count = var.create_hosted_zone ? 1 : 0

  name    = var.dns_zone_name
  comment = "${var.project} ${var.environment} public zone"
}

data "aws_route53_zone" "existing" {
  count = var.create_hosted_zone ? 0 : 1

  name         = var.dns_zone_name
  private_zone = false
}

locals {
  zone_id   = var.create_hosted_zone ? aws_route53_zone.public[0].zone_id : data.aws_route53_zone.existing[0].zone_id
  zone_name = trimsuffix(var.create_hosted_zone ? aws_route53_zone.public[0].name : data.aws_route53_zone.existing[0].name, ".")
}

# Internal names (data stores, internal services), resolvable only inside the VPC.
resource "aws_route53_zone" "private" {
  name    = "internal.${local.zone_name}"
  comment = "${var.project} ${var.environment} private zone"

  vpc {
    vpc_id = data.terraform_remote_state.vpc.outputs.vpc_id
  }
}

resource "aws_acm_certificate" "this" {
  domain_name               = local.zone_name
  subject_alternative_names = ["*.${local.zone_name}"]
  validation_method         = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  for_each = {
    for o in aws_acm_certificate.this.domain_validation_options : o.domain_name => {
      name   = o.resource_record_name
      type   = o.resource_record_type
      record = o.resource_record_value
    }
  }

  zone_id         = local.zone_id
  name            = each.value.name
  type            = each.value.type
  ttl             = 60
  records         = [each.value.record]
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}
