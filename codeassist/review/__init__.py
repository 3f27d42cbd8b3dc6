"""Reviewing a change before it is committed: rules without a model, then the model."""
