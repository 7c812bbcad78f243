"""Custom screens of the time-entry admin: the week timesheet, approvals, the pickers."""
