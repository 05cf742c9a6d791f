"""The domain core stays free of web, database, queue and Twilio imports."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "hotline" / "domain"
FORBIDDEN = {"flask", "sqlalchemy", "redis", "rq", "twilio", "werkzeug", "requests", "click"}


@pytest.mark.parametrize("path", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_domain_module_imports_only_stdlib_and_domain(path: Path):
    tree = ast.parse(path.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
            if node.module.startswith("hotline.") and not node.module.startswith("hotline.domain"):
                pytest.fail(f"{path.name} imports {node.module} from outside the domain")
    assert not imported & FORBIDDEN, f"{path.name} imports {imported & FORBIDDEN}"
