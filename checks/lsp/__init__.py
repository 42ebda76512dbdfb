"""`asyncguard lsp`: the language server (pygls over stdio).

The same rules, settings and project index as `asyncguard check`, on the editor's unsaved
buffers: `project.py` keeps one `rules.workspace.Workspace` per project root, `convert.py` maps
findings to diagnostics, `actions.py` builds the code actions (the `--fix` codemod, suppress on
this line) and hovers, and `server.py` wires them to the protocol.
"""
