"""The bulk audit: a whole results file checked against the caucus rules, without the database.

`rows` reads and validates the CSV, `run` checks each precinct with the domain's checks, and
`report` writes the table or JSON lines and the summary.
"""
from hotline.audit.rows import AuditInputError
from hotline.audit.run import run_audit

__all__ = ["AuditInputError", "run_audit"]
