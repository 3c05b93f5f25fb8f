"""The Dutch catalogue is complete and compiled: every text in the code and templates has a
Dutch translation, and the .mo file the app reads matches the .po file."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
NL = ROOT / "central" / "translations" / "nl" / "LC_MESSAGES"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "N_": None,
}


def _source_messages() -> set:
    found = set()
    for directory, method in ((ROOT / "central", "python"), (ROOT / "templates", "jinja2")):
        pattern = "**.py" if method == "python" else "**.html"
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            directory, method_map=[(pattern, method)], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else tuple(message))
    return found


def test_every_text_has_a_dutch_translation():
    with open(NL / "messages.po", "rb") as fh:
        catalogue = read_po(fh)
    translated = {
        (m.id if isinstance(m.id, str) else tuple(m.id))
        for m in catalogue
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(str(m) for m in _source_messages() - translated)
    assert not missing, f"{len(missing)} texts lack a Dutch translation: {missing[:20]}"


def _key(value):
    return value if isinstance(value, str) else tuple(value)


def test_compiled_catalogue_matches_the_po_file():
    with open(NL / "messages.po", "rb") as fh:
        po = {_key(m.id): _key(m.string) for m in read_po(fh) if m.id and m.string}
    with open(NL / "messages.mo", "rb") as fh:
        mo = {_key(m.id): _key(m.string) for m in read_mo(fh) if m.id}
    assert po == mo, "run `pybabel compile -d central/translations`"


def test_a_domain_error_with_parameters_is_translated_where_it_is_shown(app):
    """A message with `%(name)s` parameters stays English for the API and the command line and
    is shown in Dutch with the same values filled in; a list parameter is translated item by
    item."""
    import pytest
    from flask_babel import force_locale

    from central.core.errors import ValidationError
    from central.frameworks.services import clean_checklist

    with pytest.raises(ValidationError) as listed:
        clean_checklist([{"key": "Bad key", "label": "", "kind": "reading"}])
    assert listed.value.message == (
        "Item 1 needs a key of lower-case letters, digits and _; a label of at most 200 characters."
    )
    with app.test_request_context(), force_locale("nl"):
        dutch = listed.value.translated()
        assert dutch.startswith("Item 1 heeft nodig: ") and "200" in dutch
        assert "lower-case" not in dutch
    with app.test_request_context(), force_locale("en"):
        assert listed.value.translated() == listed.value.message
