"""How risky a shell command or SQL statement is, from its syntax tree; confirm before running."""
