"""Many questions from a file: read and check the input, run, append answers, write reports."""
