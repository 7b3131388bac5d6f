"""Citation keys and the one rule that turns a key into a file name.

Keys belong to the user and are kept verbatim. A key that is a safe file name is its own
file name (``smith2020.yaml``); any other key (``DBLP:conf/sigmod/Smith09``) is stated in the
record's ``id`` field and its file name replaces every character outside ``[A-Za-z0-9._-]``
with ``_`` (``DBLP_conf_sigmod_Smith09.yaml``). The validator applies the same rule.
"""

from __future__ import annotations

import re

# What both BibTeX and biber accept: printable ASCII without white space and none of
# " # ' ( ) , = { } % (biber), nor ~ or backslash, which LaTeX would read in \cite.
KEY = re.compile(r"[A-Za-z0-9][!$&*+\-./0-9:;<>?@A-Z\[\]^_`a-z|]*")
SAFE_FILE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
SUFFIX = ".yaml"


def is_valid_key(key: str) -> bool:
    return KEY.fullmatch(key) is not None


def file_stem_for(key: str) -> str:
    """The file name (without ``.yaml``) a record with this key must have."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", key)


def is_safe_file_stem(stem: str) -> bool:
    """A stem that cannot escape its directory or hide: no ``/``, no leading dot."""
    return SAFE_FILE_STEM.fullmatch(stem) is not None
