"""`import`: study guides (Markdown, HTML, Obsidian) turned into notes files."""
