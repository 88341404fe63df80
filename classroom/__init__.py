"""Classroom labs: instructors hand out exercises, students solve them in sandboxes of their own."""
