"""The HTTP API: an app factory, its dependencies and one module of routes per resource."""
