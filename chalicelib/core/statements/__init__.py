"""Statements to audiences: drafted from the plan's templates, approved by distinct people with
their own credentials, published only then, through the audience's channels, once."""
