"""Where the bundled data lives and where the database goes by default.

The bundled dictionaries, gazetteer and reports are the repository's top-level `data/`. In a
source checkout (and an editable install) they are read from there; a wheel or a plain
`pip install .` carries them as the package `reportbot_data` (see pyproject.toml), read from
wherever it was installed.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

_CHECKOUT_DATA = Path(__file__).resolve().parent.parent / "data"


def _package_data() -> Path:
    if (_CHECKOUT_DATA / "places.csv").is_file():
        return _CHECKOUT_DATA
    spec = importlib.util.find_spec("reportbot_data")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("reportbot's bundled data (the reportbot_data package) is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


PACKAGE_DATA = _package_data()


CHECKOUT_STATE = _CHECKOUT_DATA.parent / ".reportbot"


def default_data_dir() -> Path:
    """Where the database, index and kept originals go unless told: `.reportbot/` at the root
    of a writable source checkout (never the bundled `data/`, which holds only what ships);
    otherwise, e.g. installed into a read-only site-packages, the user's data directory:
    $XDG_DATA_HOME/reportbot, else ~/.local/share/reportbot."""
    checkout = PACKAGE_DATA == _CHECKOUT_DATA and (_CHECKOUT_DATA.parent / "pyproject.toml").is_file()
    if checkout and os.access(CHECKOUT_STATE.parent, os.W_OK):
        return CHECKOUT_STATE
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "reportbot"
