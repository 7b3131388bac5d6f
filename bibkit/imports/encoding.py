"""The text of a .bib file whose bytes are not UTF-8: in the encoding it declares, else Windows'.

A .bib file has no standard way to say its encoding, but the reference managers that wrote
most old ones leave it in a comment at the top: JabRef ``% Encoding: Cp1252`` (Java's names),
BibDesk ``%% Saved with string encoding Western (Mac OS Roman)``. Bytes that are valid UTF-8
are read as UTF-8 whatever the comment says: text in another encoding almost never is, and a
file saved again as UTF-8 often keeps its old comment. With no usable declaration, Windows-1252
(what JabRef and EndNote on Windows wrote) is tried before Latin-1: the two differ only in
0x80-0x9F, which Latin-1 makes control characters and Windows-1252 quotes and dashes.
"""

from __future__ import annotations

import codecs
import re

# Where a reference manager names the encoding, in the first lines of the file.
_DECLARED = re.compile(rb"^%+[ \t]*(?:Encoding:|Saved with string encoding)[ \t]*([^\r\n]+?)[ \t]*$",
                       re.MULTILINE | re.IGNORECASE)
_HEAD = 1024

# BibDesk names encodings as macOS shows them; JabRef's Java names mostly are Python's too.
_NAMES = {
    "unicode (utf-8)": "utf-8", "western (mac os roman)": "mac_roman", "western (iso latin 1)": "latin-1",
    "western (windows latin 1)": "cp1252", "central european (iso latin 2)": "iso8859_2",
    "central european (windows latin 2)": "cp1250", "cyrillic (windows)": "cp1251",
    "japanese (shift jis)": "shift_jis", "japanese (euc)": "euc_jp", "macroman": "mac_roman",
}


def declared(data: bytes) -> str | None:
    """The Python codec of the encoding the file's head declares, if it names one Python knows."""
    m = _DECLARED.search(data[:_HEAD])
    if m is None:
        return None
    name = m.group(1).decode("ascii", "replace").strip().lower()
    name = _NAMES.get(name, name.removeprefix("x-"))
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    # Python also names transforms of bytes (rot13, base64, zlib): a file cannot declare those.
    return info.name if getattr(info, "_is_text_encoding", True) else None


def decode(data: bytes) -> tuple[str, str | None]:
    """The file's text, and a note when it was not read as UTF-8 (``None`` when it was)."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        where = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
    codec = declared(data)
    if codec is None:
        why = "it declares no encoding"
    elif codec == "utf-8":
        why = "it declares UTF-8, which its bytes are not"
    else:
        try:
            return data.decode(codec), f"not UTF-8 ({where}); read as {codec}, as the file declares"
        except UnicodeDecodeError:
            why = f"it declares {codec}, which its bytes are not"
    try:
        return data.decode("cp1252"), f"not UTF-8 ({where}); read as Windows-1252 ({why})"
    except UnicodeDecodeError:
        # Every byte means something in Latin-1, so nothing is lost.
        return data.decode("latin-1"), f"not UTF-8 ({where}); read as Latin-1 ({why})"
