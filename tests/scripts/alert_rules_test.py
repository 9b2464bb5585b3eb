#!/usr/bin/env python3
"""The alert rules (scripts/prometheus/aragora-alerts.yml) against runtime/base/defaults.hpp:
fails when a rule's threshold differs from the constant its `threshold_from` annotation names,
when an alert_* constant has no rule, when a number other than the threshold hides in a rule,
or when a metric a rule reads is missing from docs/operations.md's table.

Reads the rules line by line (python3-yaml is not among the packages scripts/setup installs);
where the yaml module exists, it also checks that a YAML parser reads the same rules.
Usage: tests/scripts/alert_rules_test.py [ROOT]"""
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULTS = "runtime/base/defaults.hpp"
RULES = "scripts/prometheus/aragora-alerts.yml"
DOCS = "docs/operations.md"

CONSTANT = re.compile(r"^inline constexpr double (alert_\w+)\s*=\s*([^;]+);", re.M)
ARITHMETIC = re.compile(r"^[0-9.\s+\-*/()]+$")
FIELD = re.compile(r"^\s*(-\s+)?(alert|expr|for|severity|threshold_from|summary|action):\s*(.*?)\s*$")
# The threshold: the number after the last comparison, at the end of the expression.
THRESHOLD = re.compile(r"^(.*?)\s*(>=|<=|>|<|==|!=)\s*([0-9][0-9.eE+\-]*)$")
# What a rule's left-hand side may hold besides metric names: range windows, p99, a percentage.
ALLOWED_NUMBERS = [re.compile(r"\[\d+[smhdwy]\]"),
                   re.compile(r"^histogram_quantile\(0\.99,"),
                   re.compile(r"^100 \* ")]
NUMBER = re.compile(r"(?<![\w.$])\d+(\.\d+)?(?![\w.])")
METRIC = re.compile(r"\b((?:aragora|process)_[a-z0-9_]+)\b")


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def defaults_constants(text):
    out = {}
    for name, expr in CONSTANT.findall(text):
        expr = expr.split("//")[0].strip()
        if not ARITHMETIC.match(expr):
            raise ValueError(f"{DEFAULTS}: {name} = {expr!r} is not plain arithmetic")
        out[name] = float(eval(expr, {"__builtins__": {}}))  # digits and operators only
    return out


def parse_rules(text):
    """Rules as dicts of their one-line fields, in file order."""
    rules = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        m = FIELD.match(line)
        if not m:
            continue
        key, value = m.group(2), m.group(3)
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1]
        if key == "alert":
            rules.append({"alert": value, "line": n})
        elif not rules:
            raise ValueError(f"{RULES}:{n}: '{key}' before the first alert")
        elif value in ("|", ">", "|-", ">-"):
            raise ValueError(f"{RULES}:{n}: keep '{key}' on one line (this test reads lines)")
        else:
            rules[-1][key] = value
    return rules


def yaml_rules(text):
    """The same fields read by a YAML parser, or None without the yaml module."""
    try:
        import yaml
    except ImportError:
        return None
    out = []
    for group in yaml.safe_load(text)["groups"]:
        for r in group["rules"]:
            d = {"alert": r["alert"], "expr": str(r["expr"]), "for": str(r["for"]),
                 "severity": r["labels"]["severity"]}
            d.update({k: str(v) for k, v in r.get("annotations", {}).items()})
            out.append(d)
    return out


def check(rules_text, defaults_text, docs_text):
    """The problems found, as lines; empty when the file and the defaults agree."""
    errors = []
    constants = defaults_constants(defaults_text)
    if not constants:
        return [f"{DEFAULTS}: no alert_* constants found"]
    rules = parse_rules(rules_text)
    if not rules:
        return [f"{RULES}: no rules found"]
    documented = set(re.findall(r"^\|\s*`([a-z0-9_]+)`", docs_text, re.M))
    used = {}
    for r in rules:
        where = f"{RULES}:{r['line']} {r['alert']}"
        missing = [k for k in ("expr", "for", "severity", "threshold_from") if k not in r]
        if missing:
            errors.append(f"{where}: no {', '.join(missing)}")
            continue
        if r["severity"] not in ("warning", "critical"):
            errors.append(f"{where}: severity {r['severity']!r} is neither warning nor critical")
        source = r["threshold_from"]
        if not source.startswith("defaults::"):
            errors.append(f"{where}: threshold_from {source!r} does not name defaults::alert_*")
            continue
        name = source[len("defaults::"):]
        if name not in constants:
            errors.append(f"{where}: {source} is not an alert_* constant of {DEFAULTS}")
            continue
        used.setdefault(name, []).append(r["alert"])
        want = "warning" if "_warn" in name else "critical" if "_crit" in name else None
        if want and r["severity"] != want:
            errors.append(f"{where}: {name} is a {want} threshold, the rule says {r['severity']}")
        m = THRESHOLD.match(r["expr"])
        if not m:
            errors.append(f"{where}: expr does not end in a comparison with a number")
            continue
        lhs, threshold = m.group(1), float(m.group(3))
        if threshold != constants[name]:
            errors.append(f"{where}: threshold {m.group(3)} differs from {name} = "
                          f"{constants[name]:g} in {DEFAULTS}")
        stripped = lhs
        for allowed in ALLOWED_NUMBERS:
            stripped = allowed.sub(" ", stripped)
        for stray in NUMBER.finditer(stripped):
            errors.append(f"{where}: a number ({stray.group(0)}) besides the threshold in expr")
        for metric in METRIC.findall(lhs):
            base = re.sub(r"_bucket$", "", metric)
            if base not in documented:
                errors.append(f"{where}: metric {base} is not in {DOCS}'s table")
        for key in ("summary", "action"):
            text = re.sub(r"\{\{.*?\}\}", " ", r.get(key, ""))
            if NUMBER.search(text):
                errors.append(f"{where}: a number in {key}: thresholds live in the expr only")
    for name in sorted(set(constants) - set(used)):
        errors.append(f"{DEFAULTS}: {name} has no rule in {RULES}")
    for name, alerts in sorted(used.items()):
        if len(alerts) > 1:
            errors.append(f"{RULES}: {name} is the threshold of {len(alerts)} rules: {alerts}")
    # A threshold's warning and critical rules share a name (Alertmanager inhibits one by the
    # other on it), so a name comes once per severity.
    keys = [(r["alert"], r.get("severity")) for r in rules]
    for dup in sorted({k for k in keys if keys.count(k) > 1}):
        errors.append(f"{RULES}: alert {dup[0]} with severity {dup[1]} defined twice")
    parsed = yaml_rules(rules_text)
    if parsed is not None:
        mine = [{k: v for k, v in r.items() if k != "line"} for r in rules]
        if parsed != mine:
            errors.append(f"{RULES}: a YAML parser reads other rules than the line reader")
    return errors


def main():
    rules_text, defaults_text, docs_text = read(RULES), read(DEFAULTS), read(DOCS)
    errors = check(rules_text, defaults_text, docs_text)
    # The check bites: a threshold moved in either file is reported (the first rule's, by 1).
    drifted = re.sub(r"(expr: .*> )([0-9.]+)$", lambda m: m.group(1) + str(float(m.group(2)) + 1),
                     rules_text, count=1, flags=re.M)
    if not any("differs from" in e for e in check(drifted, defaults_text, docs_text)):
        errors.append("self-check: a threshold changed in the rules went unnoticed")
    moved = re.sub(r"(alert_queue_depth_warn = )(\d+)", lambda m: m.group(1) + "51",
                   defaults_text)
    if not any("differs from" in e for e in check(rules_text, moved, docs_text)):
        errors.append("self-check: a threshold changed in defaults.hpp went unnoticed")
    for e in errors:
        print(f"alert_rules_test: {e}", file=sys.stderr)
    if errors:
        return 1
    print(f"alert_rules_test: {len(parse_rules(rules_text))} rules agree with {DEFAULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
