output "cluster_name" {
  description = "EKS cluster (delivery.yaml eks.cluster)."
  value       = data.terraform_remote_state.eks.outputs.cluster_name
}

output "namespace" {
  description = "Namespace of the release (delivery.yaml eks.namespace)."
  value       = module.app.namespace
}

output "release_name" {
  description = "Helm release name (delivery.yaml eks.release)."
  value       = var.app_name
}

output "irsa_role_arn" {
  description = "IAM role of the app's pods (values-<env>.yaml serviceAccount.roleArn)."
  value       = module.app.irsa_role_arn
}

output "helm_values" {
  description = "Infrastructure-decided chart values (repository, service account, ingress host and certificate)."
  value       = module.app.helm_values
}

output "helm_values_yaml" {
  description = "The same values as YAML (compare with charts/demo-app/values-<env>.yaml after an apply)."
  value       = module.app.helm_values_yaml
}

output "url" {
  description = "URL that always reaches the EKS deployment."
  value       = "https://${var.eks_hostname}/"
}
