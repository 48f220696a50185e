"""create_app(): the app owns its runtime and installs nothing for the whole process."""

from __future__ import annotations

from dispatcher import runtime as runtime_module
from dispatcher.runtime import Runtime
from gateway.app import create_app


def test_the_app_keeps_its_runtime_to_itself(runtime):
    """Jobs read the runtime their worker installed; an app built beside it must not swap
    (or close) it."""
    own = Runtime(runtime.settings)
    try:
        app = create_app(runtime=own)
        assert app.extensions["satupintu"] is own
        assert runtime_module.current() is runtime
    finally:
        own.close()


def test_an_app_built_from_settings_answers_without_a_process_runtime(runtime):
    runtime_module.install(None)
    try:
        app = create_app(runtime.settings)
        assert app.test_client().get("/healthz").status_code == 200
        assert runtime_module._current is None
        app.extensions["satupintu"].close()
    finally:
        runtime_module.install(runtime)
