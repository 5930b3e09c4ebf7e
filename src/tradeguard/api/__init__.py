"""The REST API: thin routers that parse, call a service and map errors."""
