"""The name a document shows in lists and downloads (issue 10).

Files are stored under generated names, so the uploaded name never reaches the file system;
it is kept for people. ``clean_file_name`` keeps it as it was typed where it can (Unicode in
NFC, "Kooperationsvereinbarung – Jugendamt Neukölln.pdf" stays exactly that) and refuses
names with invisible control or format characters (a right-to-left override makes
"rechnung\\u202efdp.exe" read as "rechnungexe.pdf"), since the uploader should see what others see.

The content decides the kind and the name follows it: known extensions that do not fit the
kind are replaced ("bericht.exe" that is a PDF → "bericht.pdf", "rechnung.pdf.exe" →
"rechnung.pdf"), an ending that is no known extension is kept and the kind's extension
added ("Protokoll 12.03.2025" → "Protokoll 12.03.2025.pdf"). Spellings of the kind's own
extension are kept as typed ("foto.JPEG").

This module does not import ``content`` (the layers keep the two independent): a kind is
anything with an ``extension`` such as ``.pdf``, as ``content.FileKind`` has.
"""

from __future__ import annotations

import unicodedata
from typing import Protocol

from caseflow.translating import gettext as _

MAX_NAME_LENGTH = 150
# Stored as data, not shown as UI text, so it is not translated.
DEFAULT_STEM = "Dokument"

# Control (Cc), format (Cf: bidi overrides, zero-width characters, soft hyphens), lone
# surrogates (Cs) and line/paragraph separators (Zl, Zp).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def is_invisible(character: str) -> bool:
    """Whether ``character`` is one of those a name or title may not hold: it would not
    show, or would show the text other than it is (see ``_REFUSED_CATEGORIES``)."""
    return unicodedata.category(character) in _REFUSED_CATEGORIES


# Other spellings of a kind's extension, kept as typed.
_SPELLINGS = {
    ".jpg": frozenset({".jpg", ".jpeg", ".jpe", ".jfif"}),
    ".txt": frozenset({".txt", ".text", ".log", ".md", ".tsv"}),
}

# Endings people read as a file type: replaced when they do not fit the kind. Anything else
# after the last dot is part of the name.
_KNOWN_EXTENSIONS = frozenset(
    {
        *(f".{ext}" for ext in ("pdf", "docx", "xlsx", "pptx", "odt", "ods", "png", "csv")),
        *_SPELLINGS[".jpg"],
        *_SPELLINGS[".txt"],
        # other documents, images, archives
        *(f".{ext}" for ext in ("doc", "docm", "dot", "dotx", "dotm", "rtf", "pages", "wpd")),
        *(f".{ext}" for ext in ("xls", "xlsm", "xlsb", "xlt", "xltx", "xltm", "numbers")),
        *(f".{ext}" for ext in ("ppt", "pptm", "pps", "ppsx", "ppsm", "potx", "key")),
        *(f".{ext}" for ext in ("odp", "odg", "ott", "ots", "gif", "bmp", "tif", "tiff")),
        *(f".{ext}" for ext in ("webp", "heic", "heif", "svg", "svgz", "eps", "ps", "ai")),
        *(f".{ext}" for ext in ("zip", "rar", "7z", "gz", "tgz", "tar", "bz2", "xz", "iso")),
        *(f".{ext}" for ext in ("img", "dmg", "eml", "msg", "ics", "vcf", "json", "xml")),
        # web pages and programs
        *(f".{ext}" for ext in ("htm", "html", "xhtml", "shtml", "mht", "mhtml", "hta")),
        *(f".{ext}" for ext in ("exe", "com", "scr", "pif", "msi", "msp", "dll", "sys")),
        *(f".{ext}" for ext in ("bat", "cmd", "ps1", "psm1", "vbs", "vbe", "js", "jse", "mjs")),
        *(f".{ext}" for ext in ("wsf", "wsh", "lnk", "url", "reg", "inf", "cpl", "jar")),
        *(f".{ext}" for ext in ("class", "py", "pyw", "pl", "rb", "php", "sh", "bash")),
        *(f".{ext}" for ext in ("zsh", "command", "app", "apk", "deb", "rpm", "bin", "elf")),
    }
)


class NameRefused(ValueError):
    """A file name caseflow does not keep; ``str()`` is the German message."""


class Kind(Protocol):
    """What a name needs of a file kind (``content.FileKind`` is one)."""

    @property
    def extension(self) -> str: ...


def clean_file_name(raw: str | None, kind: Kind) -> str:
    """The name to show for an upload of ``kind`` named ``raw`` by the browser.

    Keeps the last path component only (browsers and scripts may send ``C:\\...\\x.pdf`` or
    ``../../x.pdf``), in NFC, without whitespace or dots around it, at most
    ``MAX_NAME_LENGTH`` characters with the kind's extension (see the module). An empty name
    becomes "Dokument" with the extension.

    Raises ``NameRefused`` when the name holds control or format characters.
    """
    name = unicodedata.normalize("NFC", _last_component(raw or ""))
    if any(map(is_invisible, name)):
        raise NameRefused(
            _(
                "Der Dateiname enthält unsichtbare Steuer- oder Formatierungszeichen (zum "
                "Beispiel eine Umkehrung der Schreibrichtung). Bitte benennen Sie die Datei um "
                "und laden Sie sie erneut hoch."
            )
        )
    stem, extension = _split(_trim_end(name.strip()), kind)
    stem = _trim(stem)[: MAX_NAME_LENGTH - len(extension)]
    return (_trim(stem) or DEFAULT_STEM) + extension


def _last_component(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def _split(name: str, kind: Kind) -> tuple[str, str]:
    """The stem and the extension the name will end with: known extensions that do not fit
    the kind are dropped from the end ("rechnung.pdf.exe" → "rechnung" + ".pdf")."""
    spellings = _SPELLINGS.get(kind.extension, frozenset({kind.extension}))
    while True:
        stem, dot, ending = name.rpartition(".")
        extension = f".{ending}".lower()
        if dot and extension in spellings:
            return stem, f".{ending}"
        if not (dot and extension in _KNOWN_EXTENSIONS):
            return name, kind.extension
        name = _trim_end(stem)


def _trim_end(text: str) -> str:
    """``text`` without whitespace and dots at its end."""
    while text != (trimmed := text.rstrip().rstrip(".")):
        text = trimmed
    return text


def _trim(text: str) -> str:
    """``text`` without whitespace and dots at either end."""
    while text != (trimmed := text.strip().strip(".")):
        text = trimmed
    return text
