# Ordering the code cannot show: the blueprint deploys EKS after ECS.
depends_on = ["apps/demo-app/ecs"]
