"""Drills: a response plan exercised for real (or on paper), bounded by a roster, kept in a
register. ``kinds`` (what a drill is), ``requests`` (a request read and checked), ``surprise``
(the secret moment), ``tabletop`` (the dry run), ``runner`` (running them), ``ports``."""
