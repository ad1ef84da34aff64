# DNS of staging (example.com is a placeholder: use your domain). The app host is a weighted record
# shared by the ECS ALB (ecs_dns_weight here) and the EKS Ingress (ingress.dns.weight in
# charts/demo-app/values-staging.yaml); see docs/runbooks/dns-cutover.md.
dns_zone_name      = "staging.example.com"
create_hosted_zone = true

app_hostname   = "demo.staging.example.com"
ecs_hostname   = "demo-ecs.staging.example.com"
eks_hostname   = "demo-eks.staging.example.com"
ecs_dns_weight = 100
