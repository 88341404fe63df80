"""Transitional: `designer/agent_credentials.py` (being changed by another change) still imports the
trust scheme from here. It lives in `contract.trust`; once that module imports it, this one goes
(tests/test_import_rules.py lets nothing else import it)."""

from contract.trust import SECRET_ENV, acl_rules, redis_user, signed_task, signing_key, verified_event

__all__ = ["SECRET_ENV", "acl_rules", "redis_user", "signed_task", "signing_key", "verified_event"]
