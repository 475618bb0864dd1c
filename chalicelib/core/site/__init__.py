"""The dark site: a public page and its feeds (Atom, JSON, CAP 1.2), dark until the first
approved public statement, written where it outlives the rest of the deployment."""
