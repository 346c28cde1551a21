"""Results for people and programs: text, JSON, Markdown, CSV and the stance chart."""
