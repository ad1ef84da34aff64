# Mirrors stacks/shared/data/stack.hcl: the blueprint's fixed foundation order.
depends_on = ["shared/iam"]
