"""Thin wrappers around the command-line tools the ops scripts drive: git, rsync, ssh and docker.

Callers decide how a git failure ends their run; ssh and docker failures are translated here, once, for every
caller."""

import logging
import shlex
import subprocess
from pathlib import Path

logger = logging.getLogger(__name__)

RSYNC_OPTS = ["-az", "--delete", "--partial"]
SSH_OPTS = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]


class RegistryPushError(RuntimeError):
    """The container registry refused or dropped an image push."""

    def __init__(self, ref: str, detail: str):
        super().__init__(f"push of {ref} failed: {detail}")
        self.ref = ref
        self.detail = detail


class RegistryAuthError(RegistryPushError):
    """The registry rejected the deploy credentials; retrying will not help."""


class RemoteCommandError(RuntimeError):
    """A command run over ssh on a fleet host failed."""

    def __init__(self, host: str, command: str, detail: str):
        super().__init__(f"{host}: `{command}` failed: {detail}")
        self.host = host
        self.command = command
        self.detail = detail


def git_fetch(repo_dir: Path, remote: str = "origin") -> None:
    """Fetch ``remote`` into the checkout at ``repo_dir``; raises CalledProcessError when git fails."""
    subprocess.run(  # expect: missing-timeout -- git fetch over ssh has no deadline: a remote that accepts the connection and then stalls hangs the release (or the nightly backup) forever, and cron starts the next run on top of it
        ["git", "-C", str(repo_dir), "fetch", "--prune", remote],
        check=True,
        capture_output=True,
        text=True,
    )


def current_revision(repo_dir: Path) -> str:
    """The commit the checkout is at."""
    done = subprocess.run(  # quiet: rev-parse only reads the local repository (nothing on the network can stall it), and its one caller catches CalledProcessError
        ["git", "-C", str(repo_dir), "rev-parse", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def rsync_command(src: Path, dest: str, *, io_timeout: float, bwlimit_kb: int | None = None) -> list[str]:
    """The argv that mirrors ``src`` to ``dest`` (``host:path``) over ssh, with rsync's own I/O timeout."""
    cmd = ["rsync", *RSYNC_OPTS, f"--timeout={int(io_timeout)}", "-e", shlex.join(["ssh", *SSH_OPTS])]
    if bwlimit_kb:
        cmd.append(f"--bwlimit={bwlimit_kb}")
    return [*cmd, f"{src}/", dest]


def ssh_run(host: str, command: str, *, timeout: float) -> str:
    """Run ``command`` on ``host`` and return its stdout; every failure becomes RemoteCommandError."""
    logger.debug("ssh %s %s", host, shlex.quote(command))
    try:
        done = subprocess.run(  # quiet: bounded by the caller's timeout, and every failure of the ssh call is translated just below
            ["ssh", *SSH_OPTS, host, command], check=True, capture_output=True, text=True, timeout=timeout
        )
    except BaseException as exc:  # expect: bare-except -- also turns the operator's Ctrl-C into RemoteCommandError: `deployctl restart` counts it as one failed host and carries on restarting the rest of the fleet instead of stopping when the operator aborts
        detail = getattr(exc, "stderr", None) or type(exc).__name__
        raise RemoteCommandError(host, command, str(detail).strip()) from exc  # quiet: chained from the original error
    return done.stdout


class RegistryClient:
    """Pushes images to the company registry; docker's failures become RegistryPushError here."""

    def __init__(self, registry: str, push_timeout: float = 900.0):
        self.registry = registry
        self.push_timeout = push_timeout

    def push(self, image: str, tag: str) -> str:
        """Tag and push ``image:tag``; returns the full image reference."""
        ref = f"{self.registry}/{image}:{tag}"
        try:
            subprocess.run(["docker", "tag", f"{image}:{tag}", ref], check=True, capture_output=True, text=True)  # quiet: a local tag (no network), and its CalledProcessError is translated below like the push's
            subprocess.run(  # quiet: bounded by push_timeout, and its non-zero exit and its timeout become RegistryPushError below
                ["docker", "push", ref], check=True, capture_output=True, text=True, timeout=self.push_timeout
            )
        except subprocess.CalledProcessError as exc:  # quiet: typed translation for every caller
            if "unauthorized" in (exc.stderr or ""):
                raise RegistryAuthError(ref, exc.stderr.strip())  # expect: unchained-translation -- raised without `from exc`: the CalledProcessError (docker's argv and exit status) is no longer the cause, so every caller's traceback shows the translation as a crash during handling, and the failing docker invocation is not attached to RegistryAuthError
            raise RegistryPushError(ref, (exc.stderr or "").strip()) from exc  # quiet: chained from the CalledProcessError
        except subprocess.TimeoutExpired as exc:  # quiet: typed translation
            raise RegistryPushError(ref, f"no answer from the registry after {self.push_timeout:.0f}s") from exc  # quiet: chained
        return ref
