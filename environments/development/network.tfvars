# Network of development: two zones and one NAT gateway keep it cheap; flow logs kept a month.
vpc_cidr                 = "10.10.0.0/16"
az_count                 = 2
nat_strategy             = "single"
enable_vpc_endpoints     = false
flow_logs_retention_days = 30
