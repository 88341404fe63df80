"""The contract between the site (`designer/`) and the agents (`agent/`): what travels between them.

It lives beside both, in neither: the agent (which ships without Django) and the site import it,
and neither imports the other (tests/test_import_rules.py). Plain data and names only, no Django,
no kernel: `plan` (the host plans, sandbox fabrics, host facts and room an agent works from and
reports), `events` (the deployment's event stream and one `parse_event`), `agents` (queues, task
names, heartbeats), `trust` (the agent's Redis user and the HMAC signatures both sides check),
`closes` (the codes the site's websockets close with).
"""
