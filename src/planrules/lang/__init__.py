"""The front end: source text, lexing and parsing, the syntax tree, the checker, the formatter."""
