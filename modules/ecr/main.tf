data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  create_key  = var.kms_key_arn == null
  kms_key_arn = local.create_key ? aws_kms_key.this[0].arn : var.kms_key_arn
}

data "aws_iam_policy_document" "kms" {
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "this" {
  count = local.create_key ? 1 : 0

  description             = "ECR image encryption (${join(", ", var.repositories)})"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  count = local.create_key ? 1 : 0

  name          = "alias/ecr-${replace(var.repositories[0], "/", "-")}"
  target_key_id = aws_kms_key.this[0].key_id
}

resource "aws_ecr_repository" "this" {
  for_each = toset(var.repositories)

  name                 = each.value
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = local.kms_key_arn
  }

  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each = aws_ecr_repository.this

  repository = each.value.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after ${var.untagged_expiry_days} days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = var.untagged_expiry_days
        }
        action = { type = "expire" }
      },
      # Signatures and attestations (cosign's sha256-<digest>.sig/.att tags) are tagged images too: keep
      # those of the kept images apart, so they neither crowd out commit tags nor expire before them.
      {
        rulePriority = 2
        description  = "Keep the signatures and attestations of the last ${var.keep_tagged_images} images"
        selection = {
          tagStatus      = "tagged"
          tagPatternList = ["sha256-*"]
          countType      = "imageCountMoreThan"
          countNumber    = 2 * var.keep_tagged_images
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 3
        description  = "Keep the last ${var.keep_tagged_images} tagged images"
        selection = {
          tagStatus      = "tagged"
          tagPatternList = ["*"]
          countType      = "imageCountMoreThan"
          countNumber    = var.keep_tagged_images
        }
        action = { type = "expire" }
      },
    ]
  })
}

# Other accounts' roles (promotion: the next environment's deploy role copies the verified digest).
# The template is shared with internal/iampolicy, which the sandbox's twin accounts seed from.
resource "aws_ecr_repository_policy" "pull" {
  for_each = length(var.pull_principal_arns) > 0 ? aws_ecr_repository.this : {}

  repository = each.value.name
  policy = templatefile("${path.module}/policies/pull.json.tftpl", {
    partition      = data.aws_partition.current.partition
    principal_arns = var.pull_principal_arns
  })
}

# Image signing: one asymmetric KMS key per repository (alias/<repository>-<environment>-signing). The
# pipeline's publish step signs each pushed digest with it and attaches the SBOM and SLSA provenance as
# attestations signed with it, stored next to the image where cosign finds them (awskms:// keys); every
# deploy verifies them first (docs/supply-chain.md). The key policy is a template shared with
# internal/iampolicy, which the sandbox's twin accounts seed from.
resource "aws_kms_key" "signing" {
  for_each = var.signing == null ? toset([]) : toset(var.repositories)

  description              = "Signs the images of ${each.key} in ${var.signing.environment} (cosign awskms://)"
  key_usage                = "SIGN_VERIFY"
  customer_master_key_spec = "ECC_NIST_P256"
  deletion_window_in_days  = 30
  policy = templatefile("${path.module}/policies/signing-key.json.tftpl", {
    partition          = data.aws_partition.current.partition
    account_id         = data.aws_caller_identity.current.account_id
    signer_role_arns   = var.signing.signer_role_arns
    verifier_role_arns = var.signing.verifier_role_arns
  })

  tags = var.tags

  # Deleting the key makes every signature made with it unverifiable: every deploy would be refused.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "signing" {
  for_each = aws_kms_key.signing

  name          = "alias/${replace(each.key, "/", "-")}-${var.signing.environment}-signing"
  target_key_id = each.value.key_id
}
