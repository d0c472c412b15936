"""The code that runs in Lambda (functions/) never imports moto, the sandbox, the operator's tools (a command line,
an HTTP server, a browser driver) or test-only packages."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
PACKAGE = FUNCTIONS / "restore_sync"
SANDBOX_PACKAGE = "restore_sync_sandbox"
# The local AWS, the operator's tools, the test tools and the deployment tools: none of them is in the Lambda package.
FORBIDDEN = {
    "moto",
    SANDBOX_PACKAGE,
    "restore_sync_tools",
    "argparse",
    "selenium",
    "tests",
    "pytest",
    "_pytest",
    "responses",
    "freezegun",
    "hypothesis",
    "samtranslator",
    "cfnlint",
    "statelint",
    "mypy_boto3",
    "botocore_stubs",
}

# Runs in a fresh interpreter: forbidden packages are made unimportable, then every module is imported.
IMPORT_EVERYTHING = """
import importlib, importlib.abc, json, sys

forbidden = set(sys.argv[1].split(","))

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in forbidden:
            raise ModuleNotFoundError(f"blocked: {fullname}", name=fullname)
        return None

sys.meta_path.insert(0, Blocker())
sys.path.insert(0, sys.argv[2])
failed = {}
for name in sys.argv[3].split(","):
    try:
        importlib.import_module(name)
    except Exception as error:
        failed[name] = f"{type(error).__name__}: {error}"
try:
    import moto  # noqa: F401
    blocked = False
except ModuleNotFoundError:
    blocked = True
print(json.dumps({"failed": failed, "blocked": blocked,
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] in forbidden),
                  "files": {m: getattr(sys.modules[m], "__file__", None) for m in sys.argv[3].split(",")
                            if m in sys.modules}}))
"""


def module_files() -> list[Path]:
    return sorted(path for path in FUNCTIONS.rglob("*.py") if "__pycache__" not in path.parts)


def module_name(path: Path) -> str:
    parts = path.relative_to(FUNCTIONS).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(tree: ast.AST) -> list[tuple[str, bool]]:
    """(top-level module, at module level?) for each import, including importlib.import_module("literal")."""
    module_level = {id(node) for node in ast.iter_child_nodes(tree)}
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]
        found += [(name.split(".")[0], id(node) in module_level) for name in names]
    return found


def forbidden_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [name for name, _ in imports(tree) if name in FORBIDDEN]


def test_no_function_code_imports_moto_the_sandbox_or_test_tools() -> None:
    files = module_files()
    assert len(files) > 10, "functions/ was not found"
    found = {str(path.relative_to(ROOT)): names for path in files if (names := forbidden_imports(path))}
    assert found == {}


def test_import_scan_sees_nested_and_dynamic_imports(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "import json\n"
        "def start():\n"
        "    from moto import mock_aws\n"
        "    import importlib\n"
        "    importlib.import_module('restore_sync_sandbox.server')\n"
    )
    found = imports(ast.parse(source.read_text()))
    assert sorted(found) == [("importlib", False), ("json", True), ("moto", False), (SANDBOX_PACKAGE, False)]


def test_every_module_imports_with_moto_and_the_sandbox_unimportable() -> None:
    names = [module_name(path) for path in module_files()]
    assert "restore_sync.handlers.normalize" in names
    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING, ",".join(sorted(FORBIDDEN)), str(FUNCTIONS), ",".join(names)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=FUNCTIONS,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["blocked"], "the blocker did not make moto unimportable: this test would prove nothing"
    assert result["failed"] == {}
    assert result["loaded"] == []
    outside = {
        name: file for name, file in result["files"].items() if file and not Path(file).is_relative_to(FUNCTIONS)
    }
    assert outside == {}, "modules were imported from somewhere other than functions/"
