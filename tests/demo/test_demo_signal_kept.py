"""An interrupted demo never exits 0, even when Python swallows the SystemExit its signal handler
raises (it ignores exceptions raised while a finalizer or `__del__` runs)."""

from __future__ import annotations

import signal

import pytest

from cli.demo import command


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the swallow itself
def test_a_signal_swallowed_by_a_finalizer_still_ends_the_demo_at_its_next_line() -> None:
    class Swallows:
        def __del__(self) -> None:
            command._exit_on_signal(signal.SIGTERM, None)  # as if SIGTERM landed inside a finalizer

    command._SIGNALLED.clear()
    try:
        Swallows()  # collected at once: the SystemExit is printed as ignored, not raised here
        with pytest.raises(SystemExit) as raised:
            command._echo("[3/7] the next step")
        assert raised.value.code == 128 + signal.SIGTERM
        with pytest.raises(SystemExit):
            command._leave_if_signalled()  # and again at the end, if nothing was printed after it
    finally:
        command._SIGNALLED.clear()


def test_without_a_signal_the_demo_prints_and_goes_on(capsys: pytest.CaptureFixture[str]) -> None:
    command._SIGNALLED.clear()
    command._echo("[1/7] a line")
    command._leave_if_signalled()
    assert capsys.readouterr().out == "[1/7] a line\n"
