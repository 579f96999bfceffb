"""Local stand-ins of the five cloud services the portal talks to: development and tests only.

`python -m portal sandbox` serves them on one port (`/fleet`, `/push`, `/stats`, `/marketplace`,
`/hosting`, plus `/_sandbox` controls); `portal_dev.sandbox.server.start_in_thread` does the same for
tests. Public wire formats follow the Rocket.Chat server's source; admin APIs follow
docs/service-contract.md and docs/openapi/. Behaviour we inferred is marked "assumed:" in the code.
Every response carries `X-Sandbox: true`: nothing here is, or may stand in for, the product.
"""
