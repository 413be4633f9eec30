"""Re-create the README's figures from the notebooks' own code.

Executes the notebooks in this folder with a Jupyter kernel (nbclient, as installed by the test
extra) and writes the PNG output of every code cell tagged ``figure:NAME`` to
``figures/NAME.png``. The images are reduced to a 256-colour palette, which keeps the committed
files small (line plots use few colours) without visible change.

Run from the repository root: ``python notebooks/export_figures.py`` (all notebooks) or
``python notebooks/export_figures.py 05_yield_monte_carlo`` (some of them).
"""

from __future__ import annotations

import argparse
import base64
import io
from pathlib import Path

NOTEBOOK_DIR = Path(__file__).resolve().parent
FIGURE_DIR = NOTEBOOK_DIR / "figures"
TAG_PREFIX = "figure:"


def figure_tags(notebook) -> dict[str, int]:
    """Figure names tagged in a notebook, mapped to their cell index.

    Parameters
    ----------
    notebook : dict or nbformat.NotebookNode
        The notebook (executed or not).

    Returns
    -------
    dict of str to int
        ``{name: cell index}`` for every ``figure:NAME`` tag.

    Raises
    ------
    ValueError
        If a name is tagged twice or a tag is on a non-code cell.
    """
    names: dict[str, int] = {}
    for index, cell in enumerate(notebook["cells"]):
        for tag in cell.get("metadata", {}).get("tags", []):
            if not tag.startswith(TAG_PREFIX):
                continue
            name = tag[len(TAG_PREFIX) :]
            if cell["cell_type"] != "code":
                raise ValueError(f"tag {tag!r} is on {cell['cell_type']} cell {index}")
            if name in names:
                raise ValueError(f"figure {name!r} is tagged on cells {names[name]} and {index}")
            names[name] = index
    return names


def tagged_figures(notebook) -> dict[str, bytes]:
    """PNG images of the tagged cells of an executed notebook.

    Parameters
    ----------
    notebook : dict or nbformat.NotebookNode
        An executed notebook.

    Returns
    -------
    dict of str to bytes
        ``{name: PNG bytes}``: the last PNG output of each tagged cell.

    Raises
    ------
    ValueError
        If a tagged cell produced no PNG output.
    """
    figures = {}
    for name, index in figure_tags(notebook).items():
        images = [
            output["data"]["image/png"]
            for output in notebook["cells"][index].get("outputs", [])
            if "image/png" in output.get("data", {})
        ]
        if not images:
            raise ValueError(f"cell {index} (figure {name!r}) produced no PNG output")
        figures[name] = base64.b64decode(images[-1])
    return figures


def compress_png(data: bytes) -> bytes:
    """The same image as a 256-colour palette PNG.

    Parameters
    ----------
    data : bytes
        A PNG image.
    """
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    buffer = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
        buffer, format="PNG", optimize=True
    )
    return buffer.getvalue()


def export(path: Path, figure_dir: Path = FIGURE_DIR) -> list[Path]:
    """Execute one notebook and write its tagged figures.

    Parameters
    ----------
    path : pathlib.Path
        The notebook.
    figure_dir : pathlib.Path
        Where to write ``NAME.png``.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    if not figure_tags(notebook):
        return []
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    figure_dir.mkdir(exist_ok=True)
    written = []
    for name, png in tagged_figures(notebook).items():
        target = figure_dir / f"{name}.png"
        target.write_bytes(compress_png(png))
        written.append(target)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook names (default: all)")
    args = parser.parse_args(argv)
    paths = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    if args.notebooks:
        wanted = {Path(name).stem for name in args.notebooks}
        unknown = wanted - {p.stem for p in paths}
        if unknown:
            parser.error(f"unknown notebooks: {', '.join(sorted(unknown))}")
        paths = [p for p in paths if p.stem in wanted]
    for path in paths:
        for target in export(path):
            print(
                f"{path.name}: {target.relative_to(NOTEBOOK_DIR.parent)} "
                f"({target.stat().st_size / 1024:.0f} kB)"
            )


if __name__ == "__main__":
    main()
