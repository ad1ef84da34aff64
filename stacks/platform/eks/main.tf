# The EKS runtime: cluster, node group, OIDC provider, core add-ons, CI access, and the controllers
# apps rely on (AWS Load Balancer Controller, ExternalDNS, External Secrets Operator) with IRSA roles.

data "terraform_remote_state" "vpc" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/vpc/terraform.tfstate" })
}

data "terraform_remote_state" "dns" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/dns/terraform.tfstate" })
}

data "terraform_remote_state" "iam" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/iam/terraform.tfstate" })
}

data "terraform_remote_state" "parameters" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/parameters/terraform.tfstate" })
}

data "aws_partition" "current" {}

locals {
  cluster_name = data.terraform_remote_state.iam.outputs.eks_cluster_name
  partition    = data.aws_partition.current.partition
}

module "cluster" {
  source = "../../../modules/eks-cluster"

  name                   = local.cluster_name
  kubernetes_version     = var.eks_kubernetes_version
  vpc_id                 = data.terraform_remote_state.vpc.outputs.vpc_id
  subnet_ids             = data.terraform_remote_state.vpc.outputs.private_subnet_ids
  endpoint_public_access = length(var.eks_public_access_cidrs) > 0
  public_access_cidrs    = var.eks_public_access_cidrs

  node_instance_types = var.eks_node_instance_types
  node_capacity_type  = var.eks_node_capacity_type
  node_min_size       = var.eks_node_min_size
  node_desired_size   = var.eks_node_desired_size
  node_max_size       = var.eks_node_max_size

  # The CI roles' Kubernetes rights, declared with the roles in stacks/shared/iam (one template the
  # sandbox's twin enforces too): deploy edits the app namespaces (plus the ci-deployers group, which
  # app stacks bind Roles to for custom resources), plan and drift view. The role that applies this
  # stack creates the cluster and is its admin (bootstrap_cluster_creator_admin_permissions).
  access_entries = { for e in data.terraform_remote_state.iam.outputs.eks_access_entries : e.name => e }
}

# --- AWS Load Balancer Controller ----------------------------------------------------------------

module "lb_controller_irsa" {
  source = "../../../modules/iam-irsa-role"

  name              = "${local.cluster_name}-aws-load-balancer-controller"
  description       = "AWS Load Balancer Controller of ${local.cluster_name}"
  oidc_provider_arn = module.cluster.oidc_provider_arn
  oidc_provider_url = module.cluster.oidc_provider_url
  service_accounts  = ["kube-system:aws-load-balancer-controller"]
  policy_json       = data.aws_iam_policy_document.lb_controller.json
}

resource "helm_release" "lb_controller" {
  name       = "aws-load-balancer-controller"
  namespace  = "kube-system"
  repository = var.controller_chart_repositories["aws-load-balancer-controller"]
  chart      = "aws-load-balancer-controller"
  version    = var.controller_chart_versions["aws-load-balancer-controller"]
  atomic     = true
  timeout    = 600

  values = [yamlencode({
    clusterName  = local.cluster_name
    region       = var.region
    vpcId        = data.terraform_remote_state.vpc.outputs.vpc_id
    replicaCount = 2
    serviceAccount = {
      create      = true
      name        = "aws-load-balancer-controller"
      annotations = { "eks.amazonaws.com/role-arn" = module.lb_controller_irsa.role_arn }
    }
    podDisruptionBudget = { maxUnavailable = 1 }
  })]
}

# --- ExternalDNS ---------------------------------------------------------------------------------

data "aws_iam_policy_document" "external_dns" {
  statement {
    sid       = "ZoneRecords"
    actions   = ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"]
    resources = [data.terraform_remote_state.dns.outputs.zone_arn]
  }
  statement {
    sid       = "ZoneDiscovery"
    actions   = ["route53:ListHostedZones", "route53:ListTagsForResource", "route53:ListTagsForResources"]
    resources = ["*"] # listing actions have no resource-level permissions
  }
}

module "external_dns_irsa" {
  source = "../../../modules/iam-irsa-role"

  name              = "${local.cluster_name}-external-dns"
  description       = "ExternalDNS of ${local.cluster_name}: records in ${data.terraform_remote_state.dns.outputs.zone_name} only"
  oidc_provider_arn = module.cluster.oidc_provider_arn
  oidc_provider_url = module.cluster.oidc_provider_url
  service_accounts  = ["kube-system:external-dns"]
  policy_json       = data.aws_iam_policy_document.external_dns.json
}

resource "helm_release" "external_dns" {
  name       = "external-dns"
  namespace  = "kube-system"
  repository = var.controller_chart_repositories["external-dns"]
  chart      = "external-dns"
  version    = var.controller_chart_versions["external-dns"]
  atomic     = true
  timeout    = 600

  values = [yamlencode({
    provider      = { name = "aws" }
    domainFilters = [data.terraform_remote_state.dns.outputs.zone_name]
    # sync deletes the records of removed Ingresses; the TXT owner id keeps clusters from fighting.
    policy     = "sync"
    txtOwnerId = local.cluster_name
    sources    = ["ingress", "service"]
    env        = [{ name = "AWS_DEFAULT_REGION", value = var.region }]
    serviceAccount = {
      create      = true
      name        = "external-dns"
      annotations = { "eks.amazonaws.com/role-arn" = module.external_dns_irsa.role_arn }
    }
  })]

  depends_on = [helm_release.lb_controller]
}

# --- External Secrets Operator -------------------------------------------------------------------

data "aws_iam_policy_document" "external_secrets" {
  statement {
    sid       = "AppSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:ListSecretVersionIds"]
    resources = [data.terraform_remote_state.parameters.outputs.secret_prefix_arn]
  }
  statement {
    sid       = "AppParameters"
    actions   = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"]
    resources = [data.terraform_remote_state.parameters.outputs.parameter_path_arn]
  }
  statement {
    sid       = "DecryptConfig"
    actions   = ["kms:Decrypt"]
    resources = [data.terraform_remote_state.parameters.outputs.kms_key_arn]
  }
}

module "external_secrets_irsa" {
  source = "../../../modules/iam-irsa-role"

  name              = "${local.cluster_name}-external-secrets"
  description       = "External Secrets Operator of ${local.cluster_name}: the app's parameters and secrets only"
  oidc_provider_arn = module.cluster.oidc_provider_arn
  oidc_provider_url = module.cluster.oidc_provider_url
  service_accounts  = ["external-secrets:external-secrets"]
  policy_json       = data.aws_iam_policy_document.external_secrets.json
}

resource "helm_release" "external_secrets" {
  name             = "external-secrets"
  namespace        = "external-secrets"
  create_namespace = true
  repository       = var.controller_chart_repositories["external-secrets"]
  chart            = "external-secrets"
  version          = var.controller_chart_versions["external-secrets"]
  atomic           = true
  timeout          = 600

  values = [yamlencode({
    installCRDs = true
    serviceAccount = {
      create      = true
      name        = "external-secrets"
      annotations = { "eks.amazonaws.com/role-arn" = module.external_secrets_irsa.role_arn }
    }
  })]

  depends_on = [helm_release.lb_controller]
}

# ClusterSecretStores the app chart's ExternalSecret refers to (externalSecrets.secretStoreName).
resource "helm_release" "cluster_secret_stores" {
  name      = "cluster-secret-stores"
  namespace = "external-secrets"
  chart     = "${path.module}/charts/cluster-secret-stores"
  atomic    = true

  values = [yamlencode({
    region = var.region
  })]

  depends_on = [helm_release.external_secrets]
}
