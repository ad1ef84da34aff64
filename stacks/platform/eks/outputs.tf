output "cluster_name" {
  description = "EKS cluster name (delivery.yaml eks.cluster)."
  value       = module.cluster.cluster_name
}

output "cluster_arn" {
  description = "EKS cluster ARN."
  value       = module.cluster.cluster_arn
}

output "cluster_endpoint" {
  description = "API server endpoint."
  value       = module.cluster.cluster_endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 CA bundle of the API server."
  value       = module.cluster.cluster_certificate_authority_data
}

output "cluster_security_group_id" {
  description = "Cluster security group (nodes and control plane)."
  value       = module.cluster.cluster_security_group_id
}

output "oidc_provider_arn" {
  description = "OIDC provider ARN for IRSA roles of app stacks."
  value       = module.cluster.oidc_provider_arn
}

output "oidc_provider_url" {
  description = "OIDC issuer (without https://) for IRSA trust conditions."
  value       = module.cluster.oidc_provider_url
}

output "node_role_arn" {
  description = "IAM role of the nodes."
  value       = module.cluster.node_role_arn
}

output "lb_controller_role_arn" {
  description = "IRSA role of the AWS Load Balancer Controller."
  value       = module.lb_controller_irsa.role_arn
}

output "external_dns_role_arn" {
  description = "IRSA role of ExternalDNS."
  value       = module.external_dns_irsa.role_arn
}

output "external_secrets_role_arn" {
  description = "IRSA role of the External Secrets Operator."
  value       = module.external_secrets_irsa.role_arn
}

output "cluster_secret_store_name" {
  description = "ClusterSecretStore of Secrets Manager (chart value externalSecrets.secretStoreName)."
  value       = "aws-secrets-manager"
}

output "deployer_group" {
  description = "Kubernetes group of the CI deploy role; app stacks bind namespace Roles to it."
  value       = data.terraform_remote_state.iam.outputs.eks_deployer_group
}
