"""Follow-ups for the team: list, show, assign, resolve, and answer a member by mail."""
