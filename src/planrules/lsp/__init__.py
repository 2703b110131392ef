"""`planrules lsp`: the language server editors speak to (the `lsp` extra: pygls).

One module per feature, all reading one analysis of each file (`planrules.lsp.analysis`):
the checker's diagnostics as they are, the formatter's text as it is, and an index of where
each name is declared and read. Nothing here decides anything about the language itself.
"""
