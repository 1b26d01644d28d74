"""Follow-up pages: ``workbench`` (the agent's day) and ``tasks`` (supervisors' task lists)."""
