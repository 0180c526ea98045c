"""`tierline.validation.gx_internals` against the installed GX: every name resolves, every restated
rule is still where the list says; a GX release that fails here needs its rules read again."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from tierline.validation import datadocs
from tierline.validation.gx_internals import IMPORTED, RESTATED

gx = pytest.importorskip("great_expectations")
GX_ROOT = Path(gx.__file__).parent


@pytest.mark.parametrize("internal", IMPORTED, ids=lambda i: i.where)
def test_imported_names_resolve(internal) -> None:
    module, name = internal.where.split(":")
    assert hasattr(importlib.import_module(module), name)


@pytest.mark.parametrize("internal", RESTATED, ids=lambda i: i.where)
def test_restated_rules_are_where_listed(internal) -> None:
    path, name = internal.where.split(":")
    source = (GX_ROOT / path).read_text(encoding="utf-8")
    assert re.search(rf"^\s*(def|class) {re.escape(name)}\b", source, re.MULTILINE), f"{name} not in {path}"


def test_the_logo_the_pages_get_is_the_one_datadocs_replaces() -> None:
    template = (GX_ROOT / "render/view/templates/top_navbar.j2").read_text(encoding="utf-8")
    # the remote logo with the project's id in its URL: the beacon `datadocs._LOGO_BEACON` repoints
    [remote] = re.findall(r'static_images_dir = "(https://[^"]+)"', template)
    assert '"logo-long.png" | add_data_context_id_to_url' in template
    assert datadocs._LOGO_BEACON.fullmatch(remote + "logo-long.png?d=0&t=0")
