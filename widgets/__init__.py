"""One module per console widget, each with its Qt item model."""
