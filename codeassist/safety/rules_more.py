"""The themed rule tables, merged: loss (rules_loss), security (rules_security), exfiltration
and persistence (rules_exfil). safety/rules.py consults them beside its own per-program rules."""

from __future__ import annotations

from codeassist.safety import rules_exfil, rules_loss, rules_security
from codeassist.safety.words import Rule, merge

MORE: dict[str, list[Rule]] = merge(rules_loss.RULES, rules_security.RULES, rules_exfil.RULES)
