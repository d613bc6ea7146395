"""The supervisor, with real child processes and real signals.

Supervisor scripts run in their own interpreter: signal handlers belong to the
main thread of a plain (non-eventlet) process, as in the demo.
"""

import os
import signal
import subprocess
import sys
import textwrap

import polling

from yinfa.infra.processes import Supervisor

IGNORES_SIGTERM = [
    sys.executable,
    "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(60)",
]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_gone(pid, seconds=10.0):
    return polling.eventually(lambda: not alive(pid), timeout=seconds, every=0.05)


def wait_for_text(path, text, seconds=10.0):
    return polling.eventually(lambda: path.exists() and text in path.read_text(),
                              timeout=seconds, every=0.05)


def run_supervisor_script(tmp_path):
    """A supervisor process with one `sleep` child; returns (supervisor, child pid)."""
    script = textwrap.dedent(f"""
        import sys
        from yinfa.infra.processes import Supervisor
        with Supervisor({str(tmp_path)!r}) as sup:
            child = sup.start("sleeper", ["sleep", "60"])
            print(child.pid, flush=True)
            sup.wait()
        print("stopped by", sup.stop_signal, flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    return proc, int(proc.stdout.readline())


def test_a_childs_output_goes_to_its_log_file_under_the_run_dir(tmp_path):
    with Supervisor(tmp_path) as sup:
        sup.start("hello", [sys.executable, "-c", "print('hi from child')"])
        sup.wait(poll_interval=0.05)
    assert (tmp_path / "hello.log").read_text() == "hi from child\n"


def test_the_env_given_to_start_is_added_to_the_inherited_one(tmp_path):
    code = "import os; print(os.environ['YINFA_X'], 'PATH' in os.environ)"
    with Supervisor(tmp_path) as sup:
        sup.start("env", [sys.executable, "-c", code], env={"YINFA_X": "42"})
        assert sup.wait(poll_interval=0.05) == "env"
    assert (tmp_path / "env.log").read_text() == "42 True\n"


def test_a_child_that_ignores_sigterm_is_killed_after_the_timeout(tmp_path):
    sup = Supervisor(tmp_path, stop_timeout=0.5)
    child = sup.start("stubborn", IGNORES_SIGTERM)
    assert wait_for_text(tmp_path / "stubborn.log", "ready")

    sup.stop_all()

    assert child.returncode == -signal.SIGKILL
    assert not alive(child.pid)


def test_sigterm_to_the_supervisor_stops_its_children_and_exits_cleanly(tmp_path):
    proc, child_pid = run_supervisor_script(tmp_path)
    assert alive(child_pid)

    proc.send_signal(signal.SIGTERM)

    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert f"stopped by {int(signal.SIGTERM)}" in out
    assert wait_gone(child_pid)


def test_children_die_even_when_the_supervisor_is_killed_hard(tmp_path):
    proc, child_pid = run_supervisor_script(tmp_path)

    proc.kill()
    proc.wait()

    assert wait_gone(child_pid)
