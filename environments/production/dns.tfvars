# DNS of production (example.com is a placeholder: use your domain). The app host is a weighted record
# shared by the ECS ALB (ecs_dns_weight here) and the EKS Ingress (ingress.dns.weight in
# charts/demo-app/values-production.yaml); see docs/runbooks/dns-cutover.md.
dns_zone_name      = "example.com"
create_hosted_zone = true

app_hostname   = "demo.example.com"
ecs_hostname   = "demo-ecs.example.com"
eks_hostname   = "demo-eks.example.com"
ecs_dns_weight = 100
