"""Checks: verify, doctor, status, the admin policy and the plan gates."""
