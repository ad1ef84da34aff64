output "pipeline_role_arn" {
  description = "Role of the pipeline (CodePipeline or the GitHub Actions orchestration job)."
  value       = aws_iam_role.this["pipeline"].arn
}

output "build_role_arn" {
  description = "Role of the build stage (image build and push)."
  value       = aws_iam_role.this["build"].arn
}

output "deploy_ecs_role_arn" {
  description = "Role of the ECS deploy stage."
  value       = aws_iam_role.this["deploy-ecs"].arn
}

output "deploy_eks_role_arn" {
  description = "Role of the EKS deploy stage (map it to Kubernetes RBAC with an EKS access entry)."
  value       = aws_iam_role.this["deploy-eks"].arn
}

output "plan_role_arn" {
  description = "Read-only role for terraform plan and drift detection."
  value       = aws_iam_role.this["plan"].arn
}

output "role_arns" {
  description = "Every CI role ARN by purpose (pipeline, build, deploy-ecs, deploy-eks, plan)."
  value       = { for k, r in aws_iam_role.this : k => r.arn }
}

output "role_names" {
  description = "Every CI role name by purpose."
  value       = { for k, r in aws_iam_role.this : k => r.name }
}
