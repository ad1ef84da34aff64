data "aws_region" "current" {}

locals {
  service_account = coalesce(var.service_account_name, var.app_name)
  has_policy      = var.s3_bucket_arn != null || var.extra_policy_json != null
}

resource "kubernetes_namespace_v1" "this" {
  metadata {
    name = var.namespace
    labels = merge(var.namespace_labels, {
      "app.kubernetes.io/part-of"                  = var.app_name
      "pod-security.kubernetes.io/enforce"         = "restricted"
      "pod-security.kubernetes.io/enforce-version" = "latest"
      "pod-security.kubernetes.io/warn"            = "restricted"
    })
  }
}

# Requests and limits for any container that declares none, so a forgotten value never means "unbounded".
resource "kubernetes_limit_range_v1" "defaults" {
  metadata {
    name      = "defaults"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
  }

  spec {
    limit {
      type = "Container"
      default_request = {
        cpu    = "100m"
        memory = "128Mi"
      }
      default = {
        cpu    = "500m"
        memory = "512Mi"
      }
    }
  }
}

# EKS access policies cover built-in resources only: the deploy role also needs the chart's
# ExternalSecrets in this namespace.
resource "kubernetes_role_v1" "deployer" {
  count = var.deployer_group == null ? 0 : 1

  metadata {
    name      = "ci-deployer-extras"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
  }

  rule {
    api_groups = ["external-secrets.io"]
    resources  = ["externalsecrets"]
    verbs      = ["get", "list", "watch", "create", "update", "patch", "delete"]
  }
}

resource "kubernetes_role_binding_v1" "deployer" {
  count = var.deployer_group == null ? 0 : 1

  metadata {
    name      = "ci-deployer-extras"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = kubernetes_role_v1.deployer[0].metadata[0].name
  }

  subject {
    kind      = "Group"
    name      = var.deployer_group
    api_group = "rbac.authorization.k8s.io"
  }
}

data "aws_iam_policy_document" "app" {
  source_policy_documents = var.extra_policy_json == null ? [] : [var.extra_policy_json]

  dynamic "statement" {
    for_each = var.s3_bucket_arn == null ? [] : [1]
    content {
      sid       = "AppObjects"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      resources = [for p in var.s3_prefixes : "${var.s3_bucket_arn}/${p}*"]
    }
  }
  dynamic "statement" {
    for_each = var.s3_bucket_arn == null ? [] : [1]
    content {
      sid       = "AppBucketList"
      actions   = ["s3:ListBucket"]
      resources = [var.s3_bucket_arn]
      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = [for p in var.s3_prefixes : "${p}*"]
      }
    }
  }
  dynamic "statement" {
    for_each = var.s3_kms_key_arn == null ? [] : [1]
    content {
      sid       = "AppBucketKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.s3_kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${data.aws_region.current.name}.amazonaws.com"]
      }
    }
  }
}

module "irsa" {
  source = "../iam-irsa-role"

  name              = "${var.app_name}-${var.environment}-irsa"
  description       = "${var.app_name} pods in ${var.namespace} (${var.environment})"
  oidc_provider_arn = var.oidc_provider_arn
  oidc_provider_url = var.oidc_provider_url
  service_accounts  = ["${var.namespace}:${local.service_account}"]
  policy_json       = local.has_policy ? data.aws_iam_policy_document.app.json : null
  tags              = var.tags
}

locals {
  # What the release engine (or `helm upgrade -f`) needs from this stack; image.tag/digest and
  # buildVersion are added per release.
  helm_values = {
    image = {
      repository = var.image_repository_url
    }
    serviceAccount = {
      create  = true
      name    = local.service_account
      roleArn = module.irsa.role_arn
    }
    ingress = {
      enabled        = var.ingress_host != null
      host           = var.ingress_host == null ? "" : var.ingress_host
      certificateArn = var.certificate_arn == null ? "" : var.certificate_arn
    }
  }
}
