"""The ground floor: configuration, clock, JSON, errors, tasks, metrics; imports nothing of ours at run time."""
