depends_on = ["core/nowhere"]
