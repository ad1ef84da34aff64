# The demo app on EKS: namespace, IRSA role and the infrastructure half of the Helm values. The
# release itself is installed by the release engine with the image the pipeline built.

data "terraform_remote_state" "eks" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/platform/eks/terraform.tfstate" })
}

data "terraform_remote_state" "dns" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/dns/terraform.tfstate" })
}

data "terraform_remote_state" "ecr" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/ecr/terraform.tfstate" })
}

data "terraform_remote_state" "s3" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/shared/s3/terraform.tfstate" })
}

data "terraform_remote_state" "observability" {
  backend = "s3"
  config  = merge(var.remote_state, { key = "${var.environment}/platform/observability/terraform.tfstate" })
}

module "app" {
  source = "../../../../modules/eks-app"

  app_name             = var.app_name
  environment          = var.environment
  namespace            = var.app_namespace
  oidc_provider_arn    = data.terraform_remote_state.eks.outputs.oidc_provider_arn
  oidc_provider_url    = data.terraform_remote_state.eks.outputs.oidc_provider_url
  s3_bucket_arn        = data.terraform_remote_state.s3.outputs.app_bucket_arn
  s3_kms_key_arn       = data.terraform_remote_state.s3.outputs.app_bucket_kms_key_arn
  s3_prefixes          = ["app/"]
  image_repository_url = data.terraform_remote_state.ecr.outputs.repository_urls[var.app_name]
  ingress_host         = var.eks_hostname
  certificate_arn      = data.terraform_remote_state.dns.outputs.certificate_arn
  deployer_group       = data.terraform_remote_state.eks.outputs.deployer_group
}

module "alarms" {
  source = "../../../../modules/observability"

  name            = "${var.app_name}-${var.environment}-eks"
  alarm_topic_arn = data.terraform_remote_state.observability.outputs.alarm_topic_arn
  eks_workload = {
    cluster_name = data.terraform_remote_state.eks.outputs.cluster_name
    namespace    = module.app.namespace
    service      = var.app_name
  }
}
