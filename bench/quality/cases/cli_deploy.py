"""deployctl: fetch, push and roll out a service from the release checkout.

    deployctl release payments-api --env prod
    deployctl status payments-api
    deployctl restart payments-api --hosts web1,web2,web3
"""

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import click
import requests as rq

from cli_ops.notify import post_chat
from cli_ops.shell import (
    RegistryAuthError,
    RegistryClient,
    RegistryPushError,
    RemoteCommandError,
    current_revision,
    git_fetch,
    ssh_run,
)

logger = logging.getLogger("deployctl")

CHECKOUT = Path("/srv/release/checkout")
DEPLOY_API = "https://deploy.internal.example.com/api/v2"
CHAT_HOOK = os.environ.get("DEPLOY_CHAT_HOOK", "https://chat.example.com/hooks/deploys")
REGISTRY = RegistryClient("registry.example.com", push_timeout=1200)


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {os.environ['DEPLOY_TOKEN']}"}


def _start_rollout(service: str, environment: str, image_ref: str) -> str:
    resp = rq.post(  # expect: unhandled-external-call -- release turns git and registry failures into clean error exits but not this call: a deploy-API outage right after the image was pushed ends in a raw ConnectionError traceback, with no "rollout not started" message and no chat post
        f"{DEPLOY_API}/rollouts",
        json={"service": service, "environment": environment, "image": image_ref},
        headers=_auth(),
        timeout=15,
    )
    resp.raise_for_status()
    return resp.json()["id"]  # quiet: raise_for_status ran first on this path


def _wait_healthy(rollout_id: str, deadline_s: float = 600.0) -> str:
    """Poll the rollout until it leaves the 'progressing' state; returns the final state."""
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:  # quiet: a polling loop with a deadline that waits for a state change, not a retry of a failed call
        resp = rq.get(f"{DEPLOY_API}/rollouts/{rollout_id}", headers=_auth(), timeout=10)  # quiet: timeout set, and release catches every requests error around this poll
        if resp.status_code == 404:
            raise click.ClickException(f"rollout {rollout_id} disappeared from the deploy API")
        state = resp.json()["state"]  # expect: unchecked-http-status -- only 404 is checked: a 503 {"error": "upstream unavailable"} from the deploy API during the load-balancer switch-over is read as a rollout document, and the wait dies on KeyError 'state' with a traceback while the rollout is still running
        if state != "progressing":
            return state
        time.sleep(5)
    raise click.ClickException(f"rollout {rollout_id} still progressing after {deadline_s:.0f}s")


@click.group()
@click.option("--verbose", is_flag=True, help="Debug logging.")
def cli(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )


@cli.command()
@click.argument("service")
@click.option("--env", "environment", type=click.Choice(["staging", "prod"]), default="staging")
def release(service: str, environment: str) -> None:
    """Fetch the release checkout, push SERVICE's image and roll it out."""
    try:
        git_fetch(CHECKOUT)  # quiet: this path handles git fetch's CalledProcessError just below
        revision = current_revision(CHECKOUT)  # quiet: a local git call, covered by the same handler
    except subprocess.CalledProcessError as exc:  # quiet: git's failure becomes a click error with git's stderr and exit status 1
        raise click.ClickException(f"could not update {CHECKOUT}: {exc.stderr.strip()}") from exc  # quiet: chained from the CalledProcessError

    try:
        image_ref = REGISTRY.push(service, revision[:12])  # quiet: RegistryClient translated docker's failures, and both kinds are caught here
    except RegistryAuthError:  # quiet: an explicit outcome: a user-facing hint and exit status 1
        raise click.ClickException("the registry rejected the deploy credentials; run `docker login registry.example.com`") from None  # quiet: `from None` deliberately replaces docker's output with the hint
    except RegistryPushError as exc:  # quiet: the push failure becomes a click error carrying docker's stderr
        raise click.ClickException(str(exc)) from exc  # quiet: chained

    rollout_id = _start_rollout(service, environment, image_ref)
    try:
        state = _wait_healthy(rollout_id)  # quiet: every requests error of the poll is handled just below
    except rq.RequestException as exc:  # quiet: a click error naming the rollout, exit status 1
        raise click.ClickException(f"lost track of rollout {rollout_id}: {exc}") from exc  # quiet: chained
    if state != "healthy":
        raise click.ClickException(f"rollout {rollout_id} ended {state}")

    try:
        post_chat(CHAT_HOOK, f"{service} {revision[:12]} is live on {environment}")  # quiet: a best-effort post, its URLError (an OSError) is handled below
    except OSError:  # quiet: a best-effort notification logged with the traceback; the release itself succeeded
        logger.warning("chat notification for %s failed", service, exc_info=True)  # quiet: traceback kept
    click.echo(f"{service} {image_ref} rolled out ({rollout_id})")


@cli.command()
@click.argument("service")
def status(service: str) -> None:
    """Show what is running for SERVICE in every environment."""
    try:
        resp = rq.get(f"{DEPLOY_API}/services/{service}", headers=_auth(), timeout=10)  # quiet: timeout set and every requests error is handled below
        resp.raise_for_status()
    except rq.HTTPError as exc:  # quiet: a click error with the API's status and body, exit status 1
        detail = f"deploy API answered {exc.response.status_code}: {exc.response.text[:200]}"
        raise click.ClickException(detail) from exc  # quiet: chained from the HTTPError
    except rq.RequestException as exc:  # quiet: a user-facing error, then exit status 2
        click.echo(f"deploy API unreachable: {exc}", err=True)  # quiet: a CLI printing a user-facing error with its cause (refused, timed out) before exiting non-zero
        sys.exit(2)
    for env in resp.json()["environments"]:  # quiet: raise_for_status ran on this path
        click.echo(f"{env['name']:<8} {env['image']}  since {env['since']}")


@cli.command()
@click.argument("service")
@click.option("--hosts", required=True, help="Comma-separated host list.")
def restart(service: str, hosts: str) -> None:
    """Restart SERVICE's systemd unit host by host; exits 1 if any host failed."""
    failed = []
    for host in hosts.split(","):
        try:
            ssh_run(host, f"sudo systemctl restart {service}", timeout=120)  # quiet: ssh_run translates every failure into RemoteCommandError, caught below
        except RemoteCommandError as exc:  # quiet: a counted failure, reported through the exit status
            click.echo(f"{host}: restart failed: {exc.detail}", err=True)  # quiet: a user-facing error carrying ssh's stderr, and the command exits non-zero below
            failed.append(host)
    if failed:
        raise click.ClickException(f"restart failed on {', '.join(failed)}")
    click.echo(f"{service} restarted on {hosts}")


if __name__ == "__main__":
    cli()
