"""HTTP and websocket transport: thin routes over the analysis, the sessions and the store."""
