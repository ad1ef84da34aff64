output "app_bucket_name" {
  description = "app bucket name (stand-in value)."
  value       = terraform_data.this.output.values.app_bucket_name
}

output "app_bucket_arn" {
  description = "app bucket arn (stand-in value)."
  value       = terraform_data.this.output.values.app_bucket_arn
}

output "app_bucket_kms_key_arn" {
  description = "app bucket kms key arn (stand-in value)."
  value       = terraform_data.this.output.values.app_bucket_kms_key_arn
}

output "app_bucket_url" {
  description = "app bucket url (stand-in value)."
  value       = terraform_data.this.output.values.app_bucket_url
}

output "artifact_bucket_name" {
  description = "artifact bucket name (stand-in value)."
  value       = terraform_data.this.output.values.artifact_bucket_name
}

output "artifact_bucket_arn" {
  description = "artifact bucket arn (stand-in value)."
  value       = terraform_data.this.output.values.artifact_bucket_arn
}

output "artifact_bucket_kms_key_arn" {
  description = "artifact bucket kms key arn (stand-in value)."
  value       = terraform_data.this.output.values.artifact_bucket_kms_key_arn
}

output "codebuild_project_name" {
  description = "codebuild project name (stand-in value)."
  value       = terraform_data.this.output.values.codebuild_project_name
}
