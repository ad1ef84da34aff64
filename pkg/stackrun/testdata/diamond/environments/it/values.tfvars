seed = "n1"
