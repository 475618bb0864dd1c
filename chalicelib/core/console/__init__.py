"""The operator console's rules: signed sessions and their CSRF tokens, identity-provider tokens
and what they grant, and the reach table an incident page shows. Pure."""
