"""``sadpath gen-tests PATH::FUNCTION``: write the failure-injection tests of ``sadpath.gentests``."""

from __future__ import annotations

import argparse
import sys

from sadpath.commands import EXIT_CLEAN, EXIT_ERROR, display_path
from sadpath.config import load_settings, resolve_settings
from sadpath.files import write_new
from sadpath.gentests import GenerateError, default_output, generate, parse_target
from sadpath.settings import ConfigError


def main(args: argparse.Namespace) -> int:
    try:
        path, _ = parse_target(args.target)
        if args.config is not None and not args.config.is_file():
            raise ConfigError(f"{args.config}: no such configuration file")
        settings = load_settings(args.config) if args.config is not None else resolve_settings(path)
        target, text = generate(args.target, settings)
    except ConfigError as exc:
        print(f"sadpath: configuration error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except GenerateError as exc:
        print(f"sadpath: gen-tests: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.stdout:
        sys.stdout.write(text)
        return EXIT_CLEAN
    output = args.output or default_output(target, settings)
    try:
        if args.output is None:  # a path sadpath chose, in the project: never through a planted link
            project = settings.root if settings.root is not None else target.path.parent
            if not output.parent.is_symlink():
                output.parent.mkdir(parents=True, exist_ok=True)
            write_new(output, text, inside=project)
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            write_new(output, text)
    except OSError as exc:
        print(f"sadpath: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    count = text.count("\ndef test_")
    print(f"Wrote {count} failure-injection test(s) for {target.function}() to {display_path(str(output))}")
    return EXIT_CLEAN
