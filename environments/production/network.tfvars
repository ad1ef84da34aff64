# Network of production: three zones, a NAT gateway per zone (a zone outage keeps the others' egress).
vpc_cidr                 = "10.30.0.0/16"
az_count                 = 3
nat_strategy             = "one_per_az"
enable_vpc_endpoints     = true
flow_logs_retention_days = 365
