# Fixture: mistakes terraform validate would report, which the schema check must find.

data "aws_region" "current" {}

resource "aws_vpc" "this" {
  cidr_block  = "10.0.0.0/16"
  enable_dns  = true
  description = data.aws_region.current.nme
}

resource "aws_s3_bucket_versioning" "this" {
  bucket                   = "b"
  versioning_configuration = { status = "Enabled" }
}

resource "aws_eks_cluster" "this" {
  name     = "c"
  role_arn = "r"

  vpc_config {
    subnet_ids  = []
    subnets_ids = []
  }

  dynamic "encryption_configuration" {
    for_each = []
    content {}
  }
}

resource "aws_not_a_thing" "x" {}

output "endpoint" {
  value = aws_eks_cluster.this.endpoints
}

resource "aws_iam_role" "no_trust" {
  name = "r"
}

resource "aws_eks_cluster" "no_subnets" {
  name     = "c"
  role_arn = "r"

  vpc_config {
    endpoint_private_access = true
  }
}
