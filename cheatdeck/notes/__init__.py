"""Read a notes folder: YAML and Markdown validated into one model, the kinds table, note text to HTML."""
