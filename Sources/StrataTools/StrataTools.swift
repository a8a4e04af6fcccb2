// Shared command-line code.
