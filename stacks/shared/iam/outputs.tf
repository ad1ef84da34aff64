output "plan_role_arn" {
  description = "Read-only role of plans (GitHub environment <env>-plan; null without GitHub)."
  value       = module.ci_roles.plan_role_arn
}

output "drift_role_arn" {
  description = "Read-only role of drift detection (GitHub environment <env>-drift; null without GitHub)."
  value       = module.ci_roles.drift_role_arn
}

output "apply_role_arn" {
  description = "Role of terraform apply (GitHub environment <env>, and the CodeBuild project's apply step)."
  value       = module.ci_roles.apply_role_arn
}

output "deploy_role_arn" {
  description = "Role of the image push and the ECS/EKS deploys (GitHub environment <env>, and the CodeBuild project's deploy step)."
  value       = module.ci_roles.deploy_role_arn
}

output "codebuild_role_arn" {
  description = "Service role of the CodeBuild project (stacks/shared/s3 creates the project)."
  value       = module.ci_roles.codebuild_role_arn
}

output "ci_role_arns" {
  description = "Every CI role ARN by purpose."
  value       = module.ci_roles.role_arns
}

output "github_environments" {
  description = "Per GitHub environment: the subject of its jobs and the variables to set on it (Settings → Environments → <name> → Variables)."
  value       = module.ci_roles.github_environments
}

output "eks_access_entries" {
  description = "EKS access entries of the CI roles, applied by stacks/platform/eks."
  value       = module.ci_roles.eks_access_entries
}

output "eks_deployer_group" {
  description = "Kubernetes group of the deploy role (app stacks bind namespace Roles to it)."
  value       = module.ci_roles.eks_deployer_group
}

output "github_oidc_provider_arn" {
  description = "GitHub Actions OIDC provider the roles trust (null without GitHub)."
  value       = local.github_provider_arn
}

output "artifact_bucket_name" {
  description = "Name of the pipeline artifact bucket (created by stacks/shared/s3 with this name)."
  value       = local.artifact_bucket_name
}

output "codebuild_project_name" {
  description = "Name of the CodeBuild project running buildspec.yml (created by stacks/shared/s3)."
  value       = "${local.name}-pipeline"
}

output "ecs_cluster_name" {
  description = "Name of the ECS cluster the deploy role is scoped to (created by stacks/platform/ecs)."
  value       = local.name
}

output "eks_cluster_name" {
  description = "Name of the EKS cluster the deploy role is scoped to (created by stacks/platform/eks)."
  value       = local.name
}
