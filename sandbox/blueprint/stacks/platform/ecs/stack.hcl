# Same ordering as the real stack's stack.hcl.
depends_on = ["shared/parameters"]
