output "ci_build_role_arn" {
  description = "ci build role arn (stand-in value)."
  value       = terraform_data.this.output.values.ci_build_role_arn
}

output "ecs_deploy_role_arn" {
  description = "ecs deploy role arn (stand-in value)."
  value       = terraform_data.this.output.values.ecs_deploy_role_arn
}

output "eks_deploy_role_arn" {
  description = "eks deploy role arn (stand-in value)."
  value       = terraform_data.this.output.values.eks_deploy_role_arn
}
