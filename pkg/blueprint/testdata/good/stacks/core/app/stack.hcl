depends_on = ["core/net"]
