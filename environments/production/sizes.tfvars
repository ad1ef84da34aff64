# Sizes and replica bounds of production: N+1 across three zones, so one task per zone survives a
# zone loss with a spare (min 4), room to burst (max 12). EKS: charts/demo-app/values-production.yaml.
project = "demo"

ecs_task_cpu            = 512
ecs_task_memory         = 1024
app_min_capacity        = 4
app_max_capacity        = 12
ecs_fargate_spot_weight = 0
alb_deletion_protection = true

# One node per zone plus headroom; max = expected peak + 1.
eks_node_instance_types = ["m6i.large", "m6a.large"]
eks_node_capacity_type  = "ON_DEMAND"
eks_node_min_size       = 3
eks_node_desired_size   = 4
eks_node_max_size       = 9

log_retention_days = 90
app_log_level      = "info"

enable_rds         = false
rds_instance_class = "db.r6g.large"
rds_multi_az       = true
enable_redis       = false
redis_node_type    = "cache.r7g.large"
redis_replicas     = 2
