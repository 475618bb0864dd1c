"""The playbook as Tocsin reads it: rules, plans, escalation policies, on-call rotations and
triggers, parsed and validated from ``policies/*.yaml``. Pure definitions; the other packages act
on them."""
