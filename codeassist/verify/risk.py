"""The risk rules' verdict on an answer, as a check: `shell.risk`, `sql.risk`, `python.risk`.

It fails only at level high, and is never repaired: the risk may be what was asked ("delete
every customer"). Its finding is said with the answer, on a terminal, piped and in --json,
so that `DELETE FROM customers;` or `shutil.rmtree(Path.home())` is never shown silently.
A shell answer always carries the check; SQL and Python only when their risk is not low.
"""

from __future__ import annotations

from codeassist.verify import Check


def risk_check(code: str, language: str, dialect: str = "sqlite") -> Check | None:
    """The check for `code`; None for SQL or Python of low risk."""
    from codeassist.safety import risk as safety

    name = f"{language}.risk"
    try:
        if language == "shell":
            found = safety.assess_shell(code)
        elif language == "sql":
            found = safety.assess_sql(code, dialect)
        else:
            found = safety.assess_python(code)
    except ImportError:  # a missing part of codeassist is a bug, not a risk verdict
        raise
    except Exception as exc:  # noqa: BLE001 - a rule bug must not break generation
        return Check(name, True, f"not assessed: {type(exc).__name__}")
    if found.level == "low" and language != "shell":
        return None
    detail = found.level + (": " + "; ".join(found.reasons) if found.reasons else "")
    return Check(name, found.level != "high", detail)
