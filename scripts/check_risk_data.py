"""Check a risk data file (JSON lines): .venv/bin/python scripts/check_risk_data.py FILE.jsonl

Prints its counts, or every line that breaks the schema of risk/data/training/LABELS.md. The
writers of the training data and of the frozen test set ran it after each append."""
import collections, json, sys
SIT = {"suicidal","method","self_harm","imminent_danger","overdose","medical_emergency","domestic_violence",
       "sexual_assault","child_abuse","child_exploitation","intimate_images","trafficking","harm_others",
       "other_at_risk","eating_disorder","elder_abuse","distress"}
POP = {"veteran","lgbtq_youth","minor","outside_us"}
errors, tiers, labels, langs, seen = [], collections.Counter(), collections.Counter(), collections.Counter(), set()
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    if not line.strip():
        continue
    try:
        r = json.loads(line)
    except Exception as e:
        errors.append(f"line {n}: not JSON ({e})"); continue
    t = r.get("text", "")
    if not isinstance(t, str) or not t.strip(): errors.append(f"line {n}: empty text")
    key = " ".join(t.lower().split())
    if key in seen: errors.append(f"line {n}: duplicate text")
    seen.add(key)
    if r.get("tier") not in ("clear", "uncertain", "none"): errors.append(f"line {n}: bad tier")
    ls = r.get("labels")
    if not isinstance(ls, list) or any(l not in SIT for l in ls): errors.append(f"line {n}: bad labels {ls}")
    elif r.get("tier") == "none" and ls: errors.append(f"line {n}: tier none must have labels []")
    elif r.get("tier") == "clear" and (not ls or "distress" in ls): errors.append(f"line {n}: clear needs situations, not distress")
    elif r.get("tier") == "uncertain" and "distress" not in ls: errors.append(f"line {n}: uncertain needs distress")
    if not isinstance(r.get("imminent"), bool): errors.append(f"line {n}: imminent must be true/false")
    ps = r.get("populations", [])
    if not isinstance(ps, list) or any(p not in POP for p in ps): errors.append(f"line {n}: bad populations {ps}")
    if r.get("lang") not in ("en", "es"): errors.append(f"line {n}: lang must be en or es")
    tiers[r.get("tier")] += 1; langs[r.get("lang")] += 1
    for l in ls or []: labels[l] += 1
print("errors:", len(errors)); print("\n".join(errors[:40]))
print("tiers:", dict(tiers)); print("langs:", dict(langs)); print("labels:", dict(sorted(labels.items())))
