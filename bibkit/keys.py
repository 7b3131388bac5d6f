"""Citation keys and the one rule that turns a key into a file name.

Keys belong to the user and are kept verbatim. A key that is a safe file name is its own
file name (``smith2020.yaml``); any other key (``DBLP:conf/sigmod/Smith09``, ``:alertsys``) is
stated in the record's ``id`` field and its file name replaces every character outside
``[A-Za-z0-9._-]``, and a first character that is not a letter or digit, with ``_``
(``DBLP_conf_sigmod_Smith09.yaml``, ``_alertsys.yaml``). Where two keys of one collection give
the same name that way (compared without case: ``a:b`` and ``a/b``), the later one's file name
also ends in ``-`` and eight hex digits of the key's BLAKE2 hash (``a_b-1f3a9c0d.yaml``). The
validator accepts exactly these two names.
"""

from __future__ import annotations

import hashlib
import re

# What BibTeX and biber both accept: no white space and none of " # ' ( ) , = { } % (biber),
# nor ~ or backslash, which LaTeX would read in \cite. Printable ASCII.
KEY = re.compile(r"[!$&*+\-./0-9:;<>?@A-Z\[\]^_`a-z|]+")
# An entry type every reader takes after `@`: a letter, then letters, digits or `_` (BibTeX and biber
# would take more, `-` among it, but no style knows such a type, bibtexparser reads none with a `-`,
# and non-ASCII ones stop bibtex).
ENTRY_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
SAFE_FILE_STEM = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
SUFFIX = ".yaml"


def is_valid_key(key: str) -> bool:
    return KEY.fullmatch(key) is not None


def is_entry_type(name: str) -> bool:
    return ENTRY_TYPE.fullmatch(name) is not None


def file_stem_for(key: str) -> str:
    """The file name (without ``.yaml``) a record with this key has."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", key)
    return stem if stem[:1].isalnum() else "_" + stem[1:]


def hashed_stem_for(key: str) -> str:
    """The file name for a key whose plain stem another key of the collection has."""
    return f"{file_stem_for(key)}-{hashlib.blake2b(key.encode(), digest_size=4).hexdigest()}"


def stems_for(key: str) -> tuple[str, str]:
    return file_stem_for(key), hashed_stem_for(key)


def is_safe_file_stem(stem: str) -> bool:
    """A stem that cannot escape its directory or hide: no ``/``, no leading dot or dash."""
    return SAFE_FILE_STEM.fullmatch(stem) is not None
