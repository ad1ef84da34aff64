# CI identities and platform controllers of development.
# The repository whose GitHub Actions jobs assume the CI roles: jobs in the GitHub environments
# development (apply, deploy), development-plan and development-drift (docs/identities.md).
github_repository = "platformteam/delivery"
# The workflows run only the nightly drift check against development (drift.yml); no role of
# development trusts any other job (docs/identities.md).
github_role_purposes = ["drift"]
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
