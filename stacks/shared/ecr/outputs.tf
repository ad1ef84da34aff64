output "repository_urls" {
  description = "Repository URIs by name."
  value       = module.ecr.repository_urls
}

output "repository_arns" {
  description = "Repository ARNs by name."
  value       = module.ecr.repository_arns
}

output "registry_id" {
  description = "Registry (account) ID."
  value       = module.ecr.registry_id
}

output "kms_key_arn" {
  description = "KMS key of the images."
  value       = module.ecr.kms_key_arn
}

output "signing_key_arns" {
  description = "Image signing key ARNs by repository (cosign awskms:///<arn>)."
  value       = module.ecr.signing_key_arns
}

output "signing_key_aliases" {
  description = "Image signing key aliases by repository (delivery.yaml signing.key)."
  value       = module.ecr.signing_key_aliases
}
