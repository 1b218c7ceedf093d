"""A start-up step (called only from a start-up hook) whose handler logs the error's text and carries on: SAD101
advises the traceback and carrying on, not a re-raise that would stop the service from starting; the hook may sit
in a folder with no ``__init__.py`` inside the package (a namespace portion), which is still the project."""

from pathlib import Path

from sadpath.engine.project_files import import_root, package_files
from sadpath.fixes import apply_edits, build_fix
from sadpath.linter import lint
from sadpath.settings import Settings
from sadpath.source import SourceFile

from test_fix_review31 import checked

PLUGINS = '''import logging
import subprocess

log = logging.getLogger(__name__)


def install_requirements(reqs):
    subprocess.check_call(["pip", "install", *reqs], timeout=600)


async def install_plugin_dependencies(plugins):
    try:
        install_requirements([p.requirements for p in plugins])
    except Exception as e:
        log.error(f"Error installing requirements: {e}")


async def warm_cache(plugins):
    try:
        install_requirements([p.name for p in plugins])
    except Exception:
        log.exception("warm-up failed")


async def reload_plugins(plugins):
    try:
        install_requirements([p.name for p in plugins])
    except Exception as e:
        log.error(f"reload failed: {e}")
'''

MAIN = '''from contextlib import asynccontextmanager

from app.plugins import install_plugin_dependencies, reload_plugins, warm_cache


@asynccontextmanager
async def lifespan(app):
    await install_plugin_dependencies(app.state.plugins)
    await warm_cache(app.state.plugins)
    yield


async def admin_reload(app):
    await reload_plugins(app.state.plugins)
'''


def _project(tmp_path: Path, main: str = MAIN) -> Path:
    (tmp_path / "app" / "routers").mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "routers" / "main.py").write_text(main)  # no __init__.py in routers/
    path = tmp_path / "app" / "plugins.py"
    path.write_text(PLUGINS)
    return path


def _findings(path: Path):
    return {f.span.line: f for f in lint(SourceFile(str(path), path.read_text()), Settings()).findings if f.code == "SAD101"}


def test_a_namespace_folder_inside_a_package_belongs_to_the_package(tmp_path):
    _project(tmp_path)
    hook = tmp_path / "app" / "routers" / "main.py"
    assert import_root(hook) == tmp_path.resolve()
    assert (tmp_path / "app" / "plugins.py").resolve() in package_files(hook)


def test_a_step_only_the_lifespan_calls_gets_the_start_up_advice(tmp_path):
    found = _findings(_project(tmp_path))
    message = found[14].message
    assert "the service starts without `install_plugin_dependencies()`" in message
    assert "optional step of the start-up" in message and "carry on" in message
    assert "Re-raise" not in message


def test_a_step_the_hook_logs_with_the_traceback_is_quiet(tmp_path):
    assert 21 not in _findings(_project(tmp_path))  # warm_cache: logger.exception, and carries on


def test_a_function_a_request_also_calls_keeps_the_re_raise_advice(tmp_path):
    found = _findings(_project(tmp_path))
    assert "Re-raise or translate it" in found[28].message  # reload_plugins: an admin request waits for it
    main = MAIN + "\n\nasync def install_route(app):\n    await install_plugin_dependencies(app.state.plugins)\n"
    other = tmp_path / "other"
    other.mkdir()
    found = _findings(_project(other, main))
    assert "start-up" not in found[14].message and "Re-raise or translate it" in found[14].message


def test_the_start_up_steps_fix_logs_with_the_traceback_and_carries_on(tmp_path):
    path = _project(tmp_path)
    source = SourceFile(str(path), PLUGINS)
    finding = _findings(path)[14]
    (offer,) = finding.fixes
    assert offer.title == "Log the failure with its traceback and carry on"
    out = apply_edits(PLUGINS, build_fix(source, finding, offer, Settings()).edits)
    handler = out[out.index("    except Exception as e:"):out.index("async def warm_cache")]
    assert "log.exception(" in handler and "raise" not in handler, handler
    fixed, _ = checked(str(path), PLUGINS, "SAD101", "reraise", line=14)
    assert fixed == out
