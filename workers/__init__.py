"""RQ jobs, one module per family, and the worker entry point (`python -m workers.worker`).

Jobs are thin: they fetch the process's runtime from `context` and call one use case. Exceptions
escape, so RQ's retries and the failure callback (`failures.on_failure`) decide what happens.
"""
