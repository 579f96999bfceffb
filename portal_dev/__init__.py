"""Development and test tooling for the Cloud Ops Portal; never part of a production install.

- `portal_dev.sandbox`: local stand-ins of the five cloud services (`python -m portal sandbox`);
- `portal_dev.idp`: the development identity provider (oidc-provider-mock with the dev users);
- `portal_dev.dev`: `python -m portal dev`, sandbox + identity provider + portal in the foreground;
- `portal_dev.dev_secrets`: the development `.streamlit/secrets.toml`;
- `portal_dev.apptest`: the AppTest driver tests and benchmarks run screens with;
- `portal_dev.testdb`: throw-away test databases (SQLite, or a PostgreSQL schema).

The product (`portal`, `pages`, `streamlit_app.py`) never imports this package; an import-linter
contract in `make lint` keeps it so. Its dependencies are in `requirements-dev.txt`.
"""
