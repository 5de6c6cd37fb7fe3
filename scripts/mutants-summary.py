#!/usr/bin/env python3
"""Summarise a cargo-mutants run: caught / missed / timeout / unviable and the score.

Usage: mutants-summary.py DIR/mutants.out [LABEL]
       mutants-summary.py --tree DIR    (every DIR/*-out of one tree's shards, together)

Reads outcomes.json (written by cargo-mutants as it goes, so a partial run summarises too).
Score = caught / (caught + missed): the share of viable mutants that failed a test. Timeouts
are listed apart (a mutant that hangs the loop is usually caught in effect, but the tests did
not say so); unviable mutants did not build and say nothing about the tests. Missed mutants
are printed one a line, as cargo-mutants names them.
"""
import json
import sys


def mutant_name(scenario):
    m = scenario.get("Mutant", scenario) if isinstance(scenario, dict) else {}
    name = m.get("name")
    if name:
        return name
    span = m.get("span", {}).get("start", {})
    return "{}:{}:{}: replace {} with {}".format(
        m.get("file", "?"), span.get("line", "?"), span.get("column", "?"),
        m.get("function", {}).get("function_name", "?") if m.get("function") else "?",
        m.get("replacement", "?"))


def tree(res):
    """The shards of one tree (scripts/mutants-shards.sh's DIR/*-out), each mutant once."""
    import os
    seen = {}
    shards = sorted(d for d in os.listdir(res) if d.endswith("-out"))
    for d in shards:
        with open(f"{res}/{d}/outcomes.json") as f:
            for o in json.load(f).get("outcomes", []):
                if o.get("scenario") == "Baseline":
                    continue
                name = mutant_name(o.get("scenario"))
                if seen.setdefault(name, o.get("summary")) != o.get("summary"):
                    print(f"{name}: {seen[name]} in one shard, {o.get('summary')} in another")
    counts = {k: sum(1 for v in seen.values() if v == k)
              for k in ("CaughtMutant", "MissedMutant", "Timeout", "Unviable")}
    caught, miss = counts["CaughtMutant"], counts["MissedMutant"]
    score = f"{100.0 * caught / (caught + miss):.1f}%" if caught + miss else "n/a"
    print(f"== mutants: {res}, shards {', '.join(shards)}: {len(seen)} mutants")
    print(f"caught {caught} / missed {miss} / timeout {counts['Timeout']} / "
          f"unviable {counts['Unviable']}, score {score}")
    for name, summary in sorted(seen.items()):
        if summary == "MissedMutant":
            print(f"  missed:  {name}")
    return 0


def main():
    if sys.argv[1] == "--tree":
        return tree(sys.argv[2])
    out = sys.argv[1]
    label = sys.argv[2] if len(sys.argv) > 2 else out
    with open(f"{out}/outcomes.json") as f:
        data = json.load(f)
    counts = {"CaughtMutant": 0, "MissedMutant": 0, "Timeout": 0, "Unviable": 0}
    missed, timeouts = [], []
    baseline = None
    for o in data.get("outcomes", []):
        scenario, summary = o.get("scenario"), o.get("summary")
        if scenario == "Baseline":
            baseline = summary
            continue
        counts[summary] = counts.get(summary, 0) + 1
        if summary == "MissedMutant":
            missed.append(mutant_name(scenario))
        elif summary == "Timeout":
            timeouts.append(mutant_name(scenario))
    caught, miss = counts["CaughtMutant"], counts["MissedMutant"]
    viable = caught + miss
    score = f"{100.0 * caught / viable:.1f}%" if viable else "n/a (no viable mutant)"
    print(f"== mutants: {label}")
    if baseline not in (None, "Success"):
        print(f"baseline: {baseline} (the unmutated tree failed its tests: no verdict)")
    print(f"caught {caught} / missed {miss} / timeout {counts['Timeout']} / "
          f"unviable {counts['Unviable']}")
    print(f"score {score} (caught / (caught + missed))")
    for name in missed:
        print(f"  missed:  {name}")
    for name in timeouts:
        print(f"  timeout: {name}")
    return 0 if baseline in (None, "Success") else 1


if __name__ == "__main__":
    sys.exit(main())
