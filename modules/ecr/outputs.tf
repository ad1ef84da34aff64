output "repository_urls" {
  description = "Repository URIs by name (<account>.dkr.ecr.<region>.amazonaws.com/<name>)."
  value       = { for k, r in aws_ecr_repository.this : k => r.repository_url }
}

output "repository_arns" {
  description = "Repository ARNs by name, for IAM policies."
  value       = { for k, r in aws_ecr_repository.this : k => r.arn }
}

output "registry_id" {
  description = "Registry (account) ID holding the repositories."
  value       = data.aws_caller_identity.current.account_id
}

output "kms_key_arn" {
  description = "KMS key encrypting the images."
  value       = local.kms_key_arn
}

output "signing_key_arns" {
  description = "Image signing key ARNs by repository name (empty without signing)."
  value       = { for k, key in aws_kms_key.signing : k => key.arn }
}

output "signing_key_aliases" {
  description = "Image signing key aliases by repository name: delivery.yaml signing.key, cosign's awskms:///<alias>."
  value       = { for k, a in aws_kms_alias.signing : k => a.name }
}
