"""The shape of the code, checked from its import statements (standard library only).

Every import counts, including those inside functions and under TYPE_CHECKING: a cycle hidden
in a function is still a cycle a reader has to untangle.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("hotline", "workers")
HARNESS = "hotline_drill"
THIRD_PARTY_IN_DOMAIN = {"flask", "sqlalchemy", "redis", "rq", "twilio", "werkzeug", "requests", "click",
                         "alembic", "psycopg", "gunicorn"}
# What the load and demo harness may use of the product: its settings, the pure domain, the
# adapters it starts or reads through (Redis, the schema) and the operations it drives.
HARNESS_MAY_IMPORT = ("hotline.config", "hotline.domain", "hotline.adapters.db", "hotline.adapters.models",
                      "hotline.adapters.migrate", "hotline.adapters.embedded_redis", "hotline.adapters.queues",
                      "hotline.services.ops.demo_roster", "hotline.services.ops.importing",
                      "hotline.services.ops.status")
# The top of the product package: the app factory, the settings, the composition root, packages.
TOP_LEVEL_MODULES = {"__init__.py", "app.py", "config.py", "runtime.py"}


def modules(top: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package `top` (migrations left out)."""
    out = {}
    for path in sorted((ROOT / top).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


KNOWN = {**modules("hotline"), **modules("workers"), **modules(HARNESS)}


def imports(path: Path) -> set[str]:
    """Every module `path` imports, resolved to a module of ours where the name is one."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in KNOWN else node.module)
    return found


def graph(tops: tuple[str, ...]) -> dict[str, set[str]]:
    mods = {name: path for name, path in KNOWN.items() if name.split(".")[0] in tops}
    return {name: {m for m in imports(path) if m in mods and m != name} for name, path in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(10_000)

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in g:
        if v not in index:
            visit(v)
    return found


def test_the_product_has_no_import_cycles():
    assert cycles(graph(PRODUCT)) == []


def test_the_harness_has_no_import_cycles():
    assert cycles(graph((HARNESS,))) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("name", sorted(n for n in KNOWN if n.startswith("hotline.domain")))
def test_the_domain_imports_only_the_standard_library_and_itself(name):
    for imported in imports(KNOWN[name]):
        top = imported.split(".")[0]
        assert top not in THIRD_PARTY_IN_DOMAIN, f"{name} imports {imported}"
        if top in ("hotline", "workers", HARNESS):
            assert imported.startswith("hotline.domain"), f"{name} imports {imported} from outside the domain"


def _violations(prefix: str, forbidden: tuple[str, ...]) -> list[str]:
    return [f"{name} imports {imported}" for name in KNOWN if name.startswith(prefix)
            for imported in imports(KNOWN[name]) if imported.startswith(forbidden)]


def test_services_do_not_reach_for_the_web_the_cli_the_jobs_or_the_runtime():
    assert _violations("hotline.services", ("hotline.web", "hotline.cli", "hotline.runtime", "hotline.app",
                                            "workers", "flask")) == []


def test_adapters_know_nothing_of_the_use_cases_above_them():
    assert _violations("hotline.adapters", ("hotline.services", "hotline.web", "hotline.cli",
                                            "hotline.runtime", "hotline.app", "workers")) == []


def test_the_product_imports_nothing_from_the_harness():
    assert _violations("hotline.", (HARNESS,)) + _violations("workers", (HARNESS,)) == []


def test_the_harness_uses_only_the_products_public_entry_points():
    bad = [v for name in KNOWN if name.startswith(HARNESS) for imported in imports(KNOWN[name])
           if imported.split(".")[0] in PRODUCT and not imported.startswith(HARNESS_MAY_IMPORT)
           for v in [f"{name} imports {imported}"]]
    assert bad == []


def test_the_top_of_the_product_package_holds_only_the_factory_settings_runtime_and_packages():
    loose = {p.name for p in (ROOT / "hotline").glob("*.py")} - TOP_LEVEL_MODULES
    assert loose == set()


def test_web_handlers_and_jobs_never_open_a_transaction():
    """Use cases own their transactions; the web and the jobs only call them."""
    offenders = []
    for name, path in KNOWN.items():
        if name.startswith(("hotline.web", "workers")):
            text = path.read_text()
            offenders += [name for needle in ("db.transaction(", "db.reading(", ".begin()", ".reading()")
                          if needle in text]
    assert offenders == []


def test_the_domain_tests_run_without_the_products_stack(tmp_path):
    """Importing Flask, SQLAlchemy, Redis, RQ, Twilio or click is made to fail; the domain's tests
    must still pass (they need the standard library, pytest and hypothesis, nothing else)."""
    import os
    import subprocess
    blocked = sorted(THIRD_PARTY_IN_DOMAIN)
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        f"BLOCKED = {blocked!r}\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in BLOCKED:\n"
        "            raise ImportError(f'{name} is not allowed in a domain test')\n"
        "sys.meta_path.insert(0, Block())\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
                             "-o", "addopts=", str(ROOT / "tests" / "unit" / "domain")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
