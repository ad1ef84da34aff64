# Sizes and replica bounds of development (EKS pod bounds live in charts/demo-app/values-development.yaml).
project = "demo"

ecs_task_cpu            = 256
ecs_task_memory         = 512
app_min_capacity        = 1
app_max_capacity        = 3
ecs_fargate_spot_weight = 3
alb_deletion_protection = false

eks_node_instance_types = ["t3.large", "t3a.large"]
eks_node_capacity_type  = "SPOT"
eks_node_min_size       = 1
eks_node_desired_size   = 2
eks_node_max_size       = 3

log_retention_days = 14
app_log_level      = "debug"

enable_rds   = false
enable_redis = false
