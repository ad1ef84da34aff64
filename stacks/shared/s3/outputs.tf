output "app_bucket_name" {
  description = "App data bucket."
  value       = module.app_bucket.bucket_id
}

output "app_bucket_arn" {
  description = "App data bucket ARN."
  value       = module.app_bucket.bucket_arn
}

output "app_bucket_kms_key_arn" {
  description = "CMK of the app data bucket."
  value       = module.app_bucket.kms_key_arn
}

output "app_bucket_url" {
  description = "HTTPS URL of the bucket's regional endpoint (the app's READY_S3_URL)."
  value       = "https://${module.app_bucket.bucket_regional_domain_name}/"
}

output "artifact_bucket_name" {
  description = "Pipeline artifact bucket."
  value       = module.artifact_bucket.bucket_id
}

output "artifact_bucket_arn" {
  description = "Pipeline artifact bucket ARN."
  value       = module.artifact_bucket.bucket_arn
}

output "artifact_bucket_kms_key_arn" {
  description = "CMK of the artifact bucket."
  value       = module.artifact_bucket.kms_key_arn
}

output "codebuild_project_name" {
  description = "CodeBuild project running buildspec.yml (null without github_repository)."
  value       = var.github_repository == null ? null : module.pipeline[0].project_name
}
