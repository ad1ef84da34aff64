output "project_name" {
  description = "Name of the CodeBuild project."
  value       = aws_codebuild_project.this.name
}

output "project_arn" {
  description = "ARN of the CodeBuild project (the service role's aws:SourceArn)."
  value       = aws_codebuild_project.this.arn
}
