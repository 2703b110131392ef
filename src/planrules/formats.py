"""The names of the report formats, in a module of their own: the CLI declares its commands
with them without importing the reports, which write them."""

REPORT_FORMATS = ("text", "json", "markdown", "junit", "html")
REPLAY_FORMATS = ("text", "json", "html")
