print("strata-dump")
