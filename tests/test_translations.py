"""The interface is French first: every message has a French translation, compiled."""

import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def po_entries(path: Path) -> list[tuple[str | None, str, str]]:
    """(msgctxt, msgid, msgstr) of each non-plural entry, multi-line strings joined."""
    text = path.read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n"):
        if "msgid_plural" in block or block.lstrip().startswith("#~"):
            continue
        msgctxt = re.search(r'^msgctxt ((?:".*"\n?)+)', block, re.M)
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        msgstr = re.search(r'^msgstr ((?:".*"\n?)+)', block, re.M)
        if not msgid or not msgstr:
            continue

        def join(chunk: str) -> str:
            parts = re.findall(r'"(.*)"', chunk)
            return "".join(parts).encode().decode("unicode_escape").encode("latin-1").decode()

        context = join(msgctxt[1]) if msgctxt else None
        entries.append((context, join(msgid[1]), join(msgstr[1])))
    return [(c, i, s) for c, i, s in entries if i]


def test_every_french_message_is_translated_and_compiled():
    po = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
    catalog = gettext.GNUTranslations((po.with_suffix(".mo")).open("rb"))
    entries = po_entries(po)
    assert len(entries) > 100
    untranslated = [msgid for _context, msgid, msgstr in entries if not msgstr]
    assert not untranslated
    stale = [
        msgid
        for context, msgid, msgstr in entries
        if (catalog.pgettext(context, msgid) if context else catalog.gettext(msgid)) != msgstr
    ]
    assert not stale, "run `make messages`: the .mo file is older than the .po file"
    assert "#, fuzzy\n" not in po.read_text(encoding="utf-8").split("\n\n", 1)[1]


def test_the_screen_names_users_know():
    catalog = gettext.GNUTranslations((LOCALE / "fr" / "LC_MESSAGES" / "django.mo").open("rb"))
    assert catalog.gettext("My referents") == "Mes référents"
    assert catalog.gettext("See referents") == "Référents voir"
    assert catalog.gettext("List of ViaTrajectoire referents") == (
        "Liste des référents ViaTrajectoire"
    )
    assert catalog.gettext("List of identified ViaTrajectoire referents") == (
        "Liste des référents ViaTrajectoire identifiés"
    )


def plural_entries(path: Path) -> list[str]:
    """Every French form of the plural entries."""
    text = path.read_text(encoding="utf-8")
    forms = []
    for block in text.split("\n\n"):
        if "msgid_plural" not in block or block.lstrip().startswith("#~"):
            continue
        for chunk in re.findall(r'^msgstr\[\d\] ((?:".*"\n?)+)', block, re.M):
            parts = re.findall(r'"(.*)"', chunk)
            forms.append(
                "".join(parts).encode().decode("unicode_escape").encode("latin-1").decode()
            )
    return forms


# French typography: a non-breaking space before ":", ";", "?" and "!" (e-mails included:
# their text is these messages). Placeholders, URLs, tags, times and the quoted FINESS header
# ("finess;etalab;;") are not sentences.
_NOT_PROSE = re.compile(
    r"%\(\w+\)[sd]|\{\{[^}]*\}\}|\{%[^%]*%\}|\w+://\S+|<[^>]+>|\d+:\d+|finess;\S*"
)
_BARE_PUNCTUATION = re.compile(r"(?<![\u00a0\u202f])[:;?!]")


def test_french_messages_put_a_non_breaking_space_before_double_punctuation():
    po = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
    messages = [msgstr for _context, _msgid, msgstr in po_entries(po)] + plural_entries(po)
    assert len(messages) > 100
    wrong = [m for m in messages if _BARE_PUNCTUATION.search(_NOT_PROSE.sub("", m))]
    assert not wrong
