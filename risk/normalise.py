"""Text normalisation before risk matching: case, repeated letters, leetspeak,
SMS shorthand and misspellings, all driven by risk/data/normalisation.yml.

Hand-written because it is a few lines of table look-ups over our own data; no
spelling-correction library knows crisis slang ("kms", "unalive", "sewerslide").
"""
from __future__ import annotations

import re
import unicodedata
from typing import Dict, Iterable, Set

import yaml

# A "word" for normalisation purposes: letters, digits, apostrophes and the
# leetspeak symbols, so "su1c1de" and "k!ll" reach the tables in one piece.
_WORD = re.compile(r"[a-z0-9@$!'\-]+")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u02bc": "'"})


class Normaliser:
    def __init__(self, table_path: str, known_words: Iterable[str]) -> None:
        with open(table_path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
        self._leet: Dict[str, str] = {str(k): str(v) for k, v in (data.get("leetspeak") or {}).items()}
        self._replace: Dict[str, str] = {}
        for section in ("misspellings", "shorthand"):
            for key, value in (data.get(section) or {}).items():
                self._replace[str(key).lower()] = str(value).lower()
        self._rewrites = [(re.compile(pat), repl) for pat, repl in (data.get("rewrites") or [])]
        self._known: Set[str] = set(known_words) | set(self._replace) | set(self._replace.values())

    def _fix_word(self, word: str) -> str:
        core = word.rstrip("!'-")
        trail = word[len(core):]
        if core in self._replace:
            return self._replace[core] + trail
        if any(ch.isalpha() for ch in core) and any(ch in self._leet or ch == "!" for ch in core):
            # only tokens mixing letters and symbols: "988" and "16" stay numbers
            core = "".join(self._leet.get(ch, "i" if ch == "!" else ch) for ch in core)
            if core in self._replace:
                return self._replace[core] + trail
        if _REPEATS.search(core):
            # "soooo" -> "so", but "killll" -> "kill": prefer whichever is a known word
            doubled = _REPEATS.sub(r"\1\1", core)
            single = _REPEATS.sub(r"\1", core)
            for candidate in (doubled, single):
                if candidate in self._replace:
                    return self._replace[candidate] + trail
                if candidate in self._known:
                    return candidate + trail
            return single + trail
        return core + trail

    def __call__(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
        for pattern, replacement in self._rewrites:
            text = pattern.sub(replacement, text)
        return _WORD.sub(lambda m: self._fix_word(m.group(0)), text)

