# CI identities and platform controllers of staging.
# The repository whose GitHub Actions jobs assume the CI roles: jobs in the GitHub environments
# staging (apply, deploy), staging-plan and staging-drift (docs/identities.md).
github_repository = "platformteam/delivery"
# One OIDC provider per account: each environment has its own account here. Set false when several
# environments share an account and another one already created it.
create_github_oidc_provider = true

# API endpoint access for CI runners and the VPN (placeholder range: replace it).
eks_public_access_cidrs = ["203.0.113.0/24"]

# Helm repositories of the controller charts: the projects' published chart repositories or your
# internal mirror (placeholders: replace them before the first apply of platform/eks).
controller_chart_repositories = {
  aws-load-balancer-controller = "https://charts.example.com/eks"
  external-dns                 = "https://charts.example.com/external-dns"
  external-secrets             = "https://charts.example.com/external-secrets"
}

alarm_email_addresses = []

# Image promotion: the deploy roles of these environments (name = account id) may pull this
# environment's images, to copy the verified digest into their own registry (stacks/shared/ecr).
promotion_targets = {
  production = "333333333333"
}
