"""Filling records in from arXiv: the client (the one module that imports ``arxiv``), an on-disk
cache, title matching, and a write-back that edits only the lines it must."""
