"""HTTP: routes, request parsing and validation, JSON resources, errors and pagination."""
