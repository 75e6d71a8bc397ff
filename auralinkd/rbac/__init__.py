"""Role-based access control: the permission catalogue, roles, assignments and effective permissions."""
