# Platform stacks start once the whole foundation exists: the apps that run here read the parameters
# stack, and a half-built foundation must never leave a runtime waiting for it.
depends_on = ["shared/parameters"]
