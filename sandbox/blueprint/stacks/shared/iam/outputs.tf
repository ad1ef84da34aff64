output "plan_role_arn" {
  description = "plan role arn (stand-in value)."
  value       = terraform_data.this.output.values.plan_role_arn
}

output "drift_role_arn" {
  description = "drift role arn (stand-in value)."
  value       = terraform_data.this.output.values.drift_role_arn
}

output "apply_role_arn" {
  description = "apply role arn (stand-in value)."
  value       = terraform_data.this.output.values.apply_role_arn
}

output "deploy_role_arn" {
  description = "deploy role arn (stand-in value)."
  value       = terraform_data.this.output.values.deploy_role_arn
}

output "codebuild_role_arn" {
  description = "codebuild role arn (stand-in value)."
  value       = terraform_data.this.output.values.codebuild_role_arn
}

output "ci_role_arns" {
  description = "ci role arns (stand-in value)."
  value       = terraform_data.this.output.values.ci_role_arns
}

output "github_environments" {
  description = "github environments (stand-in value)."
  value       = terraform_data.this.output.values.github_environments
}

output "eks_access_entries" {
  description = "eks access entries (stand-in value)."
  value       = terraform_data.this.output.values.eks_access_entries
}

output "eks_deployer_group" {
  description = "eks deployer group (stand-in value)."
  value       = terraform_data.this.output.values.eks_deployer_group
}

output "github_oidc_provider_arn" {
  description = "github oidc provider arn (stand-in value)."
  value       = terraform_data.this.output.values.github_oidc_provider_arn
}

output "artifact_bucket_name" {
  description = "artifact bucket name (stand-in value)."
  value       = terraform_data.this.output.values.artifact_bucket_name
}

output "codebuild_project_name" {
  description = "codebuild project name (stand-in value)."
  value       = terraform_data.this.output.values.codebuild_project_name
}

output "ecs_cluster_name" {
  description = "ecs cluster name (stand-in value)."
  value       = terraform_data.this.output.values.ecs_cluster_name
}

output "eks_cluster_name" {
  description = "eks cluster name (stand-in value)."
  value       = terraform_data.this.output.values.eks_cluster_name
}
