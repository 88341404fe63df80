"""The validation rules. Each rule is `check_x(design, facts, report)` and reports every problem it finds."""
