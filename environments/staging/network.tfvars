# Network of staging: production's shape (three zones, endpoints) with a single NAT gateway.
vpc_cidr                 = "10.20.0.0/16"
az_count                 = 3
nat_strategy             = "single"
enable_vpc_endpoints     = true
flow_logs_retention_days = 90
