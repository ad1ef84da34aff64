# DNS of development (example.com is a placeholder: use your domain). The app host is a weighted record
# shared by the ECS ALB (ecs_dns_weight here) and the EKS Ingress (ingress.dns.weight in
# charts/demo-app/values-development.yaml); see docs/runbooks/dns-cutover.md.
dns_zone_name      = "dev.example.com"
create_hosted_zone = true

app_hostname   = "demo.dev.example.com"
ecs_hostname   = "demo-ecs.dev.example.com"
eks_hostname   = "demo-eks.dev.example.com"
ecs_dns_weight = 100
