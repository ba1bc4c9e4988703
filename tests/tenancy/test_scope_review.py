"""Reviewed escape hatches: platform_scope call sites and raw SQL (spec 10 §7.2-7.3)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CODE = ("app", "blueprints", "services", "workers")


def _sources(folders=CODE):
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def platform_scope_calls(source: str, path: str) -> list[str]:
    """'<path>:<function>' for every platform_scope(...) call in `source`."""
    found = []

    class Visitor(ast.NodeVisitor):
        def __init__(self):
            self.stack = ["<module>"]

        def visit_FunctionDef(self, node):
            self.stack.append(node.name)
            self.generic_visit(node)
            self.stack.pop()

        visit_AsyncFunctionDef = visit_FunctionDef

        def visit_Call(self, node):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name == "platform_scope":
                found.append(f"{path}:{self.stack[-1]}")
            self.generic_visit(node)

    Visitor().visit(ast.parse(source))
    return found


def _allowlist(name: str) -> set[str]:
    lines = (HERE / name).read_text().splitlines()
    return {line.split()[0] for line in lines if line.strip() and not line.startswith("#")}


def test_every_platform_scope_call_site_is_reviewed():
    calls = set()
    for path in _sources():
        rel = str(path.relative_to(ROOT))
        if rel == "services/tenancy/context.py":
            continue  # the definition
        calls.update(platform_scope_calls(path.read_text(), rel))
    assert calls - _allowlist("platform_scope_allowlist.txt") == set()


def test_the_review_catches_a_new_call_site():
    source = "def report():\n    with platform_scope('x'):\n        pass\n"
    calls = set(platform_scope_calls(source, "services/new.py"))
    assert calls == {"services/new.py:report"}
    assert calls - _allowlist("platform_scope_allowlist.txt")


def _uses_text(source: str) -> bool:
    tree = ast.parse(source)
    return any(
        isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", None)) == "text"
        for n in ast.walk(tree)
    )


def test_no_raw_sql_in_blueprints_or_workers():
    offenders = [
        str(p.relative_to(ROOT))
        for p in _sources(("blueprints", "workers"))
        if _uses_text(p.read_text())
    ]
    assert offenders == []


def test_raw_sql_in_services_is_listed():
    modules = {
        str(p.relative_to(ROOT)) for p in _sources(("services",)) if _uses_text(p.read_text())
    }
    assert modules == _allowlist("raw_sql_allowlist.txt")
