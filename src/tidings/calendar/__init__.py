"""The community calendar, shared by the site and the newsletters: occurrences, iCalendar, VTIMEZONE."""
