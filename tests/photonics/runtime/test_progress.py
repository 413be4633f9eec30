"""Progress bars: off when asked, text on a terminal only, always shown in a Jupyter kernel."""

import importlib.util
import sys
import types

from tqdm.std import tqdm as text_bar

from cposim.photonics.runtime.progress import progress_bar


def test_disabled_bar_draws_nothing(monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    with progress_bar(3, unit="study", enabled=False) as bar:
        bar.update(3)
    assert bar.disable
    assert capsys.readouterr() == ("", "")


def test_outside_a_kernel_the_bar_shows_on_terminals_only(monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    with progress_bar(3, unit="die", initial=1) as bar:
        assert isinstance(bar, text_bar)
        assert bar.n == 1 and bar.total == 3
        assert bar.disable == (not sys.stderr.isatty())


def test_kernel_without_ipywidgets_gets_a_text_bar_on_stdout(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ipywidgets" else real_find_spec(name, *a),
    )
    with progress_bar(2, unit="study") as bar:
        assert type(bar) is text_bar and not bar.disable
        bar.update(2)
    out = capsys.readouterr()
    assert "2/2 [" in out.out and out.err == ""
