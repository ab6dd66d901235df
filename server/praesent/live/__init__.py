"""Live calls: the socket protocol, the per-session pipeline, fan-out to observers."""
