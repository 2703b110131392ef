"""The names of the report formats and of the locales, in a module of their own: the CLI
declares its commands with them without importing the reports and the checker, which use
them."""

REPORT_FORMATS = ("text", "json", "markdown", "junit", "html")
REPLAY_FORMATS = ("text", "json", "html")

# How numbers are read and reports written: the header `locale`, `--locale` and `--lang`.
LOCALES = ("en", "vi", "zh")
