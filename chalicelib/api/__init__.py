"""The HTTP edge: thin routes, one authentication check, one error table."""
