output "pipeline_role_arn" {
  description = "pipeline role arn (stand-in value)."
  value       = terraform_data.this.output.values.pipeline_role_arn
}

output "build_role_arn" {
  description = "build role arn (stand-in value)."
  value       = terraform_data.this.output.values.build_role_arn
}

output "deploy_ecs_role_arn" {
  description = "deploy ecs role arn (stand-in value)."
  value       = terraform_data.this.output.values.deploy_ecs_role_arn
}

output "deploy_eks_role_arn" {
  description = "deploy eks role arn (stand-in value)."
  value       = terraform_data.this.output.values.deploy_eks_role_arn
}

output "plan_role_arn" {
  description = "plan role arn (stand-in value)."
  value       = terraform_data.this.output.values.plan_role_arn
}

output "ci_role_arns" {
  description = "ci role arns (stand-in value)."
  value       = terraform_data.this.output.values.ci_role_arns
}

output "github_oidc_provider_arn" {
  description = "github oidc provider arn (stand-in value)."
  value       = terraform_data.this.output.values.github_oidc_provider_arn
}

output "artifact_bucket_name" {
  description = "artifact bucket name (stand-in value)."
  value       = terraform_data.this.output.values.artifact_bucket_name
}

output "ecs_cluster_name" {
  description = "ecs cluster name (stand-in value)."
  value       = terraform_data.this.output.values.ecs_cluster_name
}

output "eks_cluster_name" {
  description = "eks cluster name (stand-in value)."
  value       = terraform_data.this.output.values.eks_cluster_name
}
