# Sizes and replica bounds of staging: min 2 / max 6 (EKS: charts/demo-app/values-staging.yaml).
project = "demo"

ecs_task_cpu            = 512
ecs_task_memory         = 1024
app_min_capacity        = 2
app_max_capacity        = 6
ecs_fargate_spot_weight = 0
alb_deletion_protection = true

eks_node_instance_types = ["m6i.large", "m6a.large"]
eks_node_capacity_type  = "ON_DEMAND"
eks_node_min_size       = 3
eks_node_desired_size   = 3
eks_node_max_size       = 6

log_retention_days = 30
app_log_level      = "info"

enable_rds         = false
rds_instance_class = "db.t4g.medium"
rds_multi_az       = false
enable_redis       = false
