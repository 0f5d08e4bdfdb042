"""People: users, memberships of Orders with a role, role permissions, login security."""
