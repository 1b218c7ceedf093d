"""Rules: one module per rule, its documentation in the module docstring."""
