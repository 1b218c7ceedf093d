"""Whether a subprocess's command line talks to the network (``git fetch``, ``docker push``, ``ssh host``).

``network_command(call, func)`` reads the command of a ``subprocess.run``-style call: a list or tuple literal
(or a name bound once in the function to one), or a string (``shell=True``, split like a shell would). It
answers with the command as shown (``git fetch``) when the program and its subcommand reach a remote, and
None when the command is local (``git rev-parse``, ``docker tag``), bounds itself (``rsync --timeout=30``,
``curl --max-time 10``) or cannot be read.
"""

from __future__ import annotations

import ast
import shlex

# program -> subcommands that reach a remote ("*": the program itself does)
NETWORK_SUBCOMMANDS: dict[str, frozenset[str]] = {
    "git": frozenset({"fetch", "pull", "push", "clone", "ls-remote"}),
    "docker": frozenset({"push", "pull", "login"}),
    "podman": frozenset({"push", "pull", "login"}),
    "skopeo": frozenset({"copy", "inspect", "sync"}),
    "ssh": frozenset({"*"}),
    "scp": frozenset({"*"}),
    "sftp": frozenset({"*"}),
    "rsync": frozenset({"*"}),
    "curl": frozenset({"*"}),
    "ftp": frozenset({"*"}),
}
# options that bound the whole command (an I/O timeout, a deadline)
SELF_BOUNDED = {
    "rsync": ("--timeout", "--contimeout"),
    "curl": ("-m", "--max-time"),
}
# options whose value is the next token, before the subcommand
_VALUED = {"git": frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace"}), "docker": frozenset({"--config", "-H", "--host", "--context", "-c", "-l", "--log-level"})}
_WRAPPERS = frozenset({"sudo", "nice", "ionice", "env", "stdbuf"})
_REMOTE_RSYNC = ":"  # rsync src host:dest (a local copy has no host)


def network_command(call: ast.Call, func: ast.AST | None) -> str | None:
    tokens = _tokens(call, func)
    if not tokens:
        return None
    while tokens and _literal(tokens[0]) and (tokens[0].rsplit("/", 1)[-1] in _WRAPPERS or "=" in tokens[0]):
        tokens = tokens[1:]
    if not tokens or not _literal(tokens[0]):
        return None
    program = tokens[0].rsplit("/", 1)[-1]
    subcommands = NETWORK_SUBCOMMANDS.get(program)
    if subcommands is None:
        return None
    rest = tokens[1:]
    bounding = SELF_BOUNDED.get(program, ())
    if any(isinstance(t, str) and (t.split("=", 1)[0] in bounding or _glued(t, bounding)) for t in rest):
        return None
    if "*" in subcommands:
        if program == "rsync" and not any(isinstance(t, str) and _REMOTE_RSYNC in t for t in rest):
            return None  # a local copy, or a destination the code builds: not visibly remote
        return program
    valued = _VALUED.get(program, frozenset())
    index = 0
    while index < len(rest):
        token = rest[index]
        if not _literal(token):
            return None  # the subcommand (or an option before it) is computed
        if token in valued:
            index += 2
            continue
        if token.startswith("-"):
            index += 1
            continue
        return f"{program} {token}" if token in subcommands else None
    return None


def _literal(token: str | None) -> bool:
    return isinstance(token, str) and "\x00" not in token


def _glued(token: str, options: tuple[str, ...]) -> bool:
    """``-m10``: a short option with its value glued on."""
    return any(len(o) == 2 and token.startswith(o) and token[2:].replace(".", "", 1).isdigit() for o in options)


def _tokens(call: ast.Call, func: ast.AST | None) -> list[str | None] | None:
    """The command's words: None for a word the code computes, a NUL where an f-string formats a value in."""
    command = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "args"), None)
    if isinstance(command, ast.Name) and func is not None:
        command = _bound_once(command.id, func)
    if isinstance(command, (ast.List, ast.Tuple)):
        return [_word(e) for e in command.elts]
    text = None
    if isinstance(command, ast.Constant) and isinstance(command.value, str):
        text = command.value
    elif isinstance(command, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) else "\x00" for v in command.values)
    if text is None:
        return None
    try:
        words = shlex.split(text)
    except ValueError:
        return None
    return words


def _word(element: ast.AST) -> str | None:
    """A literal word as is; an f-string with a NUL for what it formats in; None for anything else."""
    if isinstance(element, ast.Constant) and isinstance(element.value, str):
        return element.value
    if isinstance(element, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "\x00" for v in element.values)
    return None


def _bound_once(name: str, func: ast.AST) -> ast.AST | None:
    values = [
        node.value
        for node in ast.walk(func)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    ]
    mutated = any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
        and node.func.value.id == name
        for node in ast.walk(func)
    )
    return values[0] if len(values) == 1 and not mutated else None
