"""The interactive session: state and slash commands (rendering stays in commands/)."""
