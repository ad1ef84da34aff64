output "pipeline_role_arn" {
  description = "CI role of the pipeline orchestration."
  value       = module.ci_roles.pipeline_role_arn
}

output "build_role_arn" {
  description = "CI role of the build stage."
  value       = module.ci_roles.build_role_arn
}

output "deploy_ecs_role_arn" {
  description = "CI role of the ECS deploy stage."
  value       = module.ci_roles.deploy_ecs_role_arn
}

output "deploy_eks_role_arn" {
  description = "CI role of the EKS deploy stage (granted namespace access by stacks/platform/eks)."
  value       = module.ci_roles.deploy_eks_role_arn
}

output "plan_role_arn" {
  description = "Read-only CI role for plan and drift."
  value       = module.ci_roles.plan_role_arn
}

output "ci_role_arns" {
  description = "Every CI role ARN by purpose."
  value       = module.ci_roles.role_arns
}

output "github_oidc_provider_arn" {
  description = "GitHub Actions OIDC provider the roles trust (null without GitHub)."
  value       = local.github_provider_arn
}

output "artifact_bucket_name" {
  description = "Name of the pipeline artifact bucket (created by stacks/shared/s3 with this name)."
  value       = local.artifact_bucket_name
}

output "ecs_cluster_name" {
  description = "Name of the ECS cluster the deploy role is scoped to (created by stacks/platform/ecs)."
  value       = local.name
}

output "eks_cluster_name" {
  description = "Name of the EKS cluster the deploy role is scoped to (created by stacks/platform/eks)."
  value       = local.name
}
