"""The public site: the staged docs tree, feeds, calendar, and the MkDocs engine call."""
