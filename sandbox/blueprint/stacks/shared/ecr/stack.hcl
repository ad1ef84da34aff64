# Mirrors stacks/shared/ecr/stack.hcl: the blueprint's fixed foundation order.
depends_on = ["shared/dns"]
