"""The course's import rule for Mini-project 2, checked on source code with ``ast``.

Allowed under ``Miniproject_2/``: ``from torch import empty, cat, arange``,
``from torch.nn.functional import fold, unfold``, the Python standard library and relative imports.
``__import__``, ``eval``, ``exec`` and ``compile`` are refused because they could hide any other import.
"""
import ast
import sys
from pathlib import Path

ALLOWED_FROM = {"torch": {"empty", "cat", "arange"}, "torch.nn.functional": {"fold", "unfold"}}
FORBIDDEN_CALLS = {"__import__", "eval", "exec", "compile"}


def violations_in_source(source, filename="<source>"):
    """Return a list of ``'file:line: problem'`` strings for one Python source text."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        problem = _problem(node)
        if problem:
            found.append(f"{filename}:{node.lineno}: {problem}")
    return found


def _problem(node):
    if isinstance(node, ast.Import):
        bad = [a.name for a in node.names if a.name.split(".")[0] not in sys.stdlib_module_names]
        return f"imports {', '.join(bad)}" if bad else None
    if isinstance(node, ast.ImportFrom) and node.level == 0:
        names = {a.name for a in node.names}
        if node.module in ALLOWED_FROM:
            extra = sorted(names - ALLOWED_FROM[node.module])
            return f"imports {extra} from {node.module}" if extra else None
        if node.module.split(".")[0] not in sys.stdlib_module_names:
            return f"imports from {node.module}"
    if isinstance(node, ast.Name) and node.id in FORBIDDEN_CALLS:
        return f"uses {node.id}"
    if isinstance(node, ast.Attribute) and (node.attr == "__import__" or (
            node.attr in FORBIDDEN_CALLS and isinstance(node.value, ast.Name) and node.value.id == "builtins")):
        return f"uses .{node.attr}"
    return None


def violations(folder):
    """Return the violations of every ``.py`` file under ``folder``."""
    found = []
    for path in sorted(Path(folder).rglob("*.py")):
        found += violations_in_source(path.read_text(), str(path))
    return found
