"""The README stays true: its Python examples run, and its figures are the notebooks' figures.

Every ``figure:NAME`` tag in a notebook has ``notebooks/figures/NAME.png`` committed and shown in
the README, every image the README shows exists, and the images stay small. The figures
themselves are re-created by ``python notebooks/export_figures.py``, whose extraction logic is
tested here on a synthetic executed notebook (executing the notebooks is nbmake's job).
"""

import base64
import importlib.util
import io
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FIGURE_DIR = ROOT / "notebooks" / "figures"
MAX_FIGURE_BYTES = 150_000


def _exporter():
    spec = importlib.util.spec_from_file_location(
        "export_figures", ROOT / "notebooks" / "export_figures.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


export_figures = _exporter()


def _tagged_names():
    names = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for name in export_figures.figure_tags(notebook):
            assert name not in names, f"figure {name!r} tagged in {names.get(name)} and {path.name}"
            names[name] = path.name
    return names


def _readme_images():
    return set(re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", README))


def test_every_tagged_figure_is_committed_and_shown():
    names = _tagged_names()
    assert len(names) >= 6, "the README tour shows at least one figure per notebook area"
    shown = _readme_images()
    for name, notebook in names.items():
        relative = f"notebooks/figures/{name}.png"
        assert (ROOT / relative).is_file(), f"{relative} (tagged in {notebook}) is not committed"
        assert relative in shown, f"{relative} is not shown in the README"


def test_every_readme_image_exists_and_comes_from_a_notebook():
    names = _tagged_names()
    for relative in _readme_images():
        assert (ROOT / relative).is_file(), f"README shows missing {relative}"
        assert Path(relative).stem in names, f"{relative} is not tagged in any notebook"
    for path in FIGURE_DIR.glob("*.png"):
        assert path.stem in names, f"{path.name} is committed but no notebook cell makes it"
        assert path.stat().st_size <= MAX_FIGURE_BYTES, f"{path.name} is over 150 kB"


def _png(colour):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _cell(cell_type, tags, outputs=()):
    return {"cell_type": cell_type, "metadata": {"tags": list(tags)}, "outputs": list(outputs)}


def _image_output(png):
    return {"output_type": "display_data", "data": {"image/png": base64.b64encode(png).decode()}}


def test_exporter_takes_the_last_png_of_each_tagged_cell():
    first, last = _png("red"), _png("blue")
    notebook = {
        "cells": [
            _cell("code", [], [_image_output(first)]),
            _cell(
                "code", ["figure:spectrum", "other"], [_image_output(first), _image_output(last)]
            ),
        ]
    }
    assert export_figures.figure_tags(notebook) == {"spectrum": 1}
    assert export_figures.tagged_figures(notebook) == {"spectrum": last}


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ([_cell("markdown", ["figure:a"])], "markdown cell 0"),
        ([_cell("code", ["figure:a"]), _cell("code", ["figure:a"])], "cells 0 and 1"),
        ([_cell("code", ["figure:a"], [{"output_type": "stream", "text": "hi"}])], "no PNG"),
    ],
)
def test_exporter_rejects_bad_tags(cells, message):
    with pytest.raises(ValueError, match=message):
        export_figures.tagged_figures({"cells": cells})


def test_compressed_figure_is_the_same_image():
    from PIL import Image

    original = _png((200, 30, 40))
    compressed = Image.open(io.BytesIO(export_figures.compress_png(original))).convert("RGB")
    assert compressed.size == (4, 3)
    assert compressed.getpixel((1, 1)) == (200, 30, 40)


PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


@pytest.mark.parametrize(
    "source", PYTHON_BLOCKS, ids=[f"block{i}" for i in range(len(PYTHON_BLOCKS))]
)
def test_readme_python_example_runs(source):
    exec(compile(source, "README.md", "exec"), {})
