"""Evaluate a trained NLU model on a labelled test set and tune the fallback threshold.

`rasa test nlu` reports accuracy and F1 but undoes FallbackClassifier predictions,
so it cannot say how many correct answers a threshold would throw away. This
script parses every test message through the real model (Agent.parse_message),
reports intent accuracy / macro F1 / response-selector accuracy the same way
`rasa test nlu` does (macro over the labels present in the test set), and then
counts, for each candidate threshold, how many messages would fall back and how
many of those the model had answered correctly.

    .venv/bin/python scripts/nlu_report.py --model /tmp/nlu/models/nlu.tar.gz \
        --nlu tests/nlu_test.yml --thresholds 0.2 0.25 0.3 0.35 0.4

The ambiguity rule of the FallbackClassifier (top-1 minus top-2 below
`ambiguity_threshold`) is applied too, with the value from the model's config
unless --ambiguity is given.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from sklearn.metrics import f1_score

FALLBACK_INTENT = "nlu_fallback"


def _pre_fallback_ranking(parsed: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The classifier's own intent ranking, without the FallbackClassifier's entry."""
    return [r for r in parsed.get("intent_ranking", []) if r.get("name") != FALLBACK_INTENT]


def _selected_response_key(parsed: Dict[str, Any], retrieval_intent: str) -> Optional[str]:
    selector = parsed.get("response_selector", {}).get(retrieval_intent) or {}
    return (selector.get("response") or {}).get("intent_response_key")


def falls_back(ranking: Sequence[Dict[str, Any]], threshold: float, ambiguity: float) -> bool:
    """Mirror of FallbackClassifier's rule: low top confidence or top-2 too close."""
    if not ranking:
        return True
    if ranking[0]["confidence"] < threshold:
        return True
    return len(ranking) > 1 and ranking[0]["confidence"] - ranking[1]["confidence"] < ambiguity


async def _parse_all(model: Path, texts: Sequence[str]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [await agent.parse_message(text) for text in texts]


def _fallback_config(model_config: Dict[str, Any]) -> Dict[str, float]:
    for component in model_config.get("pipeline", []):
        if component.get("name") == "FallbackClassifier":
            return {"threshold": component.get("threshold", 0.3),
                    "ambiguity": component.get("ambiguity_threshold", 0.1)}
    return {"threshold": 0.3, "ambiguity": 0.1}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, type=Path, help="trained model .tar.gz")
    parser.add_argument("--nlu", default="tests/nlu_test.yml", help="labelled test data (Rasa NLU YAML)")
    parser.add_argument("--config", default="config.yml", help="config whose FallbackClassifier values are the defaults")
    parser.add_argument("--thresholds", type=float, nargs="*", default=[0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5])
    parser.add_argument("--ambiguity", type=float, default=None, help="FallbackClassifier ambiguity_threshold")
    parser.add_argument("--retrieval-intent", default="faq")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--expect-fallback", type=Path, default=None,
                        help="text file, one message per line (# comments), that should all fall back")
    args = parser.parse_args(argv)

    logging.disable(logging.WARNING)
    import structlog

    # Rasa logs every parse (with the message text) through structlog at debug level.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    import rasa.shared.utils.io
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(args.nlu)
    examples = [m for m in data.intent_examples if m.get("text")]
    texts = [m.get("text") for m in examples]
    gold_intents = [m.get("intent") for m in examples]
    gold_keys = [m.get("intent_response_key") for m in examples]

    parsed = asyncio.run(_parse_all(args.model, texts))
    rankings = [_pre_fallback_ranking(p) for p in parsed]
    predicted = [r[0]["name"] if r else FALLBACK_INTENT for r in rankings]

    labels = sorted(set(gold_intents))
    correct = [g == p for g, p in zip(gold_intents, predicted)]
    accuracy = sum(correct) / len(examples)
    macro_f1 = f1_score(gold_intents, predicted, labels=labels, average="macro", zero_division=0)
    print(f"messages: {len(examples)}  intents: {len(labels)}")
    print(f"intent accuracy: {accuracy:.4f}  macro F1: {macro_f1:.4f}")

    faq_rows = [(key, _selected_response_key(p, args.retrieval_intent))
                for key, p in zip(gold_keys, parsed) if key]
    if faq_rows:
        rs_correct = sum(gold == got for gold, got in faq_rows)
        print(f"response selector accuracy: {rs_correct / len(faq_rows):.4f} ({rs_correct}/{len(faq_rows)})")

    if args.show_errors:
        for text, gold, pred, ranking, key, p in zip(texts, gold_intents, predicted, rankings, gold_keys, parsed):
            got_key = _selected_response_key(p, args.retrieval_intent) if key else None
            if gold != pred or (key and got_key != key):
                conf = ranking[0]["confidence"] if ranking else 0.0
                print(f"  {text!r}: {key or gold} -> {got_key if key and gold == pred else pred} ({conf:.2f})")

    defaults = _fallback_config(rasa.shared.utils.io.read_yaml_file(args.config))
    ambiguity = defaults["ambiguity"] if args.ambiguity is None else args.ambiguity
    print(f"fallback (ambiguity_threshold={ambiguity}; configured threshold={defaults['threshold']}):")
    for threshold in args.thresholds:
        fell = [falls_back(r, threshold, ambiguity) for r in rankings]
        lost = sum(f and c for f, c in zip(fell, correct))
        caught = sum(f and not c for f, c in zip(fell, correct))
        print(f"  threshold {threshold:.2f}: {sum(fell):3d} fall back "
              f"({lost} were correct, {caught} were wrong)")
    if args.expect_fallback:
        nonsense = [line.strip() for line in args.expect_fallback.read_text(encoding="utf-8").splitlines()
                    if line.strip() and not line.startswith("#")]
        nonsense_rankings = [_pre_fallback_ranking(p) for p in asyncio.run(_parse_all(args.model, nonsense))]
        print(f"messages that should fall back ({len(nonsense)} in {args.expect_fallback}):")
        for threshold in args.thresholds:
            fell = sum(falls_back(r, threshold, ambiguity) for r in nonsense_rankings)
            print(f"  threshold {threshold:.2f}: {fell:3d} fall back")
        if args.show_errors:
            for text, ranking in zip(nonsense, nonsense_rankings):
                top = ranking[0] if ranking else {"name": FALLBACK_INTENT, "confidence": 0.0}
                print(f"  {text!r}: {top['name']} ({top['confidence']:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
