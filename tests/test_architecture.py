"""House rules a machine can check (ARCHITECTURE.md): dependency direction, no request in
services, a docstring per module, task names resolvable."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def modules(folder):
    return sorted((ROOT / folder).rglob("*.py"))


def imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            for alias in node.names:
                yield f"{node.module}.{alias.name}"


def test_services_never_import_blueprints_or_workers():
    bad = [
        (str(p.relative_to(ROOT)), name)
        for p in modules("services")
        for name in imports(p)
        if name.split(".")[0] in ("blueprints", "workers")
    ]
    assert bad == []


def test_models_import_nothing_above_them():
    bad = [
        (str(p.relative_to(ROOT)), name)
        for p in modules("app/models")
        for name in imports(p)
        if name.split(".")[0] in ("services", "blueprints", "workers")
    ]
    assert bad == []


def test_services_never_read_the_request():
    forbidden = {"flask.request", "flask.session", "flask.g", "flask_login.current_user"}
    bad = [
        (str(p.relative_to(ROOT)), name)
        for p in modules("services")
        for name in imports(p)
        if name in forbidden
    ]
    assert bad == []


def test_every_module_has_a_docstring():
    folders = ("app", "blueprints", "services", "workers", "benchmarks", "scripts")
    missing = [
        str(p.relative_to(ROOT))
        for folder in folders
        if (ROOT / folder).exists()
        for p in modules(folder)
        if p.read_text().strip() and ast.get_docstring(ast.parse(p.read_text())) is None
    ]
    assert missing == []


def test_task_names_used_by_services_are_registered(app):
    celery = app.extensions["celery"]
    pattern = re.compile(r"enqueue_after_commit\(\s*[\"']([\w.]+)[\"']")
    used = {m for p in modules("services") for m in pattern.findall(p.read_text())}
    from workers.tasks import names

    constants = {v for k, v in vars(names).items() if k.isupper()}
    assert used - set(celery.tasks) == set()
    assert constants <= set(celery.tasks)


def _inserts_payments(path) -> bool:
    """A `Payment(...)` constructor, an `insert(Payment)` or raw INSERT INTO payments."""
    source = path.read_text()
    if re.search(r"INSERT\s+INTO\s+payments\b", source, re.IGNORECASE):
        return True
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name == "Payment":
                return True
            if name == "insert" and any(
                isinstance(arg, ast.Name) and arg.id == "Payment" for arg in node.args
            ):
                return True
    return False


def test_only_the_ledger_inserts_payments():
    """Spec 30 §6 (acceptance 41): every insert into `payments` lives in the ledger modules."""
    writers = {
        str(p.relative_to(ROOT))
        for folder in ("app", "services", "blueprints", "workers", "emulators")
        if (ROOT / folder).exists()
        for p in modules(folder)
        if _inserts_payments(p)
    }
    assert writers <= {"services/ledger.py", "services/ledger_bulk.py"}, writers
    assert "services/ledger.py" in writers  # the check itself sees the one real writer
