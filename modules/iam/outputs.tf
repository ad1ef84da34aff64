output "role_arns" {
  description = "Every CI role ARN by purpose (plan, drift, apply, deploy, codebuild)."
  value       = merge({ for p, r in aws_iam_role.ci : p => r.arn }, { codebuild = aws_iam_role.codebuild.arn })
}

output "role_names" {
  description = "Every CI role name by purpose."
  value       = merge({ for p, r in aws_iam_role.ci : p => r.name }, { codebuild = aws_iam_role.codebuild.name })
}

output "plan_role_arn" {
  description = "Read-only role of plans (null when no GitHub Actions job plans this environment)."
  value       = contains(local.purposes, "plan") ? aws_iam_role.ci["plan"].arn : null
}

output "drift_role_arn" {
  description = "Read-only role of drift detection (null when no GitHub Actions job checks this environment's drift)."
  value       = contains(local.purposes, "drift") ? aws_iam_role.ci["drift"].arn : null
}

output "apply_role_arn" {
  description = "Role of terraform apply."
  value       = aws_iam_role.ci["apply"].arn
}

output "deploy_role_arn" {
  description = "Role of the image push and the ECS/EKS deploys (Kubernetes rights: eks_access_entries)."
  value       = aws_iam_role.ci["deploy"].arn
}

output "codebuild_role_arn" {
  description = "Service role of the CodeBuild project."
  value       = aws_iam_role.codebuild.arn
}

output "github_environments" {
  description = "Per GitHub environment: the OIDC subject of its jobs and the variables to set on it (role ARNs by purpose, region)."
  value = {
    for name in local.github_environment_names : name => {
      subject = "repo:${var.github_repository}:environment:${name}"
      variables = merge(
        { AWS_REGION = local.region },
        { for p in local.github_purposes : "AWS_${upper(p)}_ROLE_ARN" => aws_iam_role.ci[p].arn if var.github_environments[p] == name },
      )
    }
  }
}

output "eks_access_entries" {
  description = "EKS access entries of the CI roles (list of {name, principal_arn, policy, scope, namespaces, kubernetes_groups}): deploy edits the app namespaces, plan and drift view."
  value = jsondecode(templatefile("${path.module}/policies/eks-access-entries.json.tftpl", {
    deploy_role_arn = aws_iam_role.ci["deploy"].arn
    read_role_arns  = { for p in ["plan", "drift"] : p => aws_iam_role.ci[p].arn if contains(local.purposes, p) }
    namespaces      = var.eks_namespaces
    deployer_group  = var.eks_deployer_group
  }))
}

output "eks_deployer_group" {
  description = "Kubernetes group of the deploy role's access entry."
  value       = var.eks_deployer_group
}
