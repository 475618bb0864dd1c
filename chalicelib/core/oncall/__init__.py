"""Who holds the pager: shifts from rotations and overrides, coverage and its gaps."""
