output "namespace" {
  description = "Namespace of the app (delivery.yaml eks.namespace)."
  value       = kubernetes_namespace_v1.this.metadata[0].name
}

output "service_account_name" {
  description = "Service account the IRSA role trusts."
  value       = local.service_account
}

output "irsa_role_arn" {
  description = "IAM role of the app's pods (chart value serviceAccount.roleArn)."
  value       = module.irsa.role_arn
}

output "helm_values" {
  description = "Chart values this stack decides (repository, service account, ingress), as an object."
  value       = local.helm_values
}

output "helm_values_yaml" {
  description = "The same values as a YAML document, usable as a Helm values file."
  value       = yamlencode(local.helm_values)
}
