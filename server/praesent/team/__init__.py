"""The team server's rules, without I/O: people and roles, who may see a session, credentials,
retention and the dashboards' figures. Routes stay in ``praesent.api``; rows in the store."""
