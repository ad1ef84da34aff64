provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = var.tags
  }
}

# Helm talks to the cluster this stack creates, authenticating with the applier's AWS identity (the
# cluster creator has admin through its bootstrap access entry). The token comes from the AWS provider
# (a presigned sts:GetCallerIdentity, as `aws eks get-token` makes), so no aws CLI is needed where
# terraform runs.
data "aws_eks_cluster_auth" "this" {
  name = module.cluster.cluster_name
}

provider "helm" {
  kubernetes {
    host                   = module.cluster.cluster_endpoint
    cluster_ca_certificate = base64decode(module.cluster.cluster_certificate_authority_data)
    token                  = data.aws_eks_cluster_auth.this.token
  }
}
