"""Articles in: read and repair the text, take titles, split into passages with offsets."""
