"""``tocsin import``: schedules and escalation policies from the tool a team leaves.

Each vendor module reads exported REST answers (or calendar files) into drafts of playbook
documents and records every problem with the file and JSON path it comes from
(:mod:`.findings`); :mod:`.output` validates the drafts with the rest of the policy directory,
checks them against the vendor's own rendering of who is on call when the export holds one, and
writes one YAML file, or nothing.
"""
