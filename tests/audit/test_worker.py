"""The worker: huey, with an embedded SQLite queue by default; the audit trail sealed every 5 minutes."""

from __future__ import annotations

import datetime as dt
import json
from unittest import mock

import pytest
from django.conf import settings

from celltrial import platform_cli
from celltrial.audit.seal import log_path
from celltrial.cli import main


@pytest.fixture
def huey_immediate():
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True  # runs tasks in-process, on an in-memory queue
    yield HUEY
    HUEY.immediate = False


def test_the_embedded_default_needs_no_server():
    assert settings.HUEY["huey_class"] == "huey.SqliteHuey"
    assert settings.HUEY["filename"].startswith(str(settings.CELLTRIAL_DATA_DIR))
    assert settings.HUEY["consumer"]["periodic"] is True


def test_sealing_is_a_periodic_task_every_five_minutes():
    from huey.contrib.djhuey import HUEY

    from celltrial.audit import tasks

    assert tasks.seal_trail.name == "audit.seal"
    due = [minute for minute in range(60)
           if "audit.seal" in {t.name for t in HUEY.read_periodic(dt.datetime(2026, 1, 1, 10, minute))}]
    assert due == list(range(0, 60, 5))


def test_the_seal_task_writes_a_checkpoint(site, huey_immediate):
    from celltrial.audit import tasks

    assert not log_path().exists()
    tasks.seal_trail()  # immediate mode: enqueued and executed now
    (line,) = log_path().read_text().splitlines()
    assert json.loads(line)["checkpoint"]["n"] == 1
    assert tasks.seal_trail.call_local()["checkpoint"] == 2


def test_serve_starts_the_worker_and_stops_it_on_exit(db):
    worker = mock.Mock(pid=4242)
    worker.poll.return_value = None
    with mock.patch.object(platform_cli.subprocess, "Popen", return_value=worker) as popen, \
            mock.patch("gunicorn.app.wsgiapp.WSGIApplication") as gunicorn:
        gunicorn.return_value.run.side_effect = SystemExit(0)  # what gunicorn does on Ctrl+C
        with pytest.raises(SystemExit):
            main(["serve", "--port", "8123"])
    (command,), _kwargs = popen.call_args
    assert command[-3:] == ["-m", "celltrial.cli", "worker"]
    worker.terminate.assert_called_once()
    worker.wait.assert_called()


def test_serve_without_the_worker(db):
    with mock.patch.object(platform_cli.subprocess, "Popen") as popen, \
            mock.patch("gunicorn.app.wsgiapp.WSGIApplication"):
        assert main(["serve", "--no-worker"]) == 0
    popen.assert_not_called()


def test_a_worker_that_does_not_stop_is_killed():
    import subprocess

    worker = mock.Mock()
    worker.poll.return_value = None
    worker.wait.side_effect = [subprocess.TimeoutExpired("celltrial worker", 1), 0]
    platform_cli.stop_worker(worker, timeout=1)
    worker.kill.assert_called_once()


def test_worker_command_runs_the_huey_consumer(db, capsys):
    with mock.patch("django.core.management.call_command") as call:
        assert main(["worker", "--threads", "3"]) == 0
    call.assert_called_once_with("run_huey", workers=3)
    assert "sealed every 5 minutes" in capsys.readouterr().out
