"""Is a message Spanish? Enough to answer a crisis in the person's language.

Hand-written on purpose: language-ID libraries are unreliable on 2-5 word SMS ("kiero
morirme", "ya no aguanto") and some need model downloads; counting common function words
and crisis words of each language, accents optional, is exact on what matters here.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Optional

_SPANISH = frozenset("""
que de la el los las y en un una por para con sin mi mis me te se le lo es esta estoy estas está estás
soy eres muy pero porque como mas más ya nada todo todos quiero tengo puedo ayuda ayudame ayúdame
morir morirme matarme vivir vida quitarme hacerme pastillas necesito tambien también ahora hoy
noche mañana manana mama mamá papa papá esposo esposa novio novia hijo hija miedo solo sola
aguanto aguantar siento hay donde dónde cuando cuándo quien quién cual cuál no sé se nadie nunca
kiero xq pq tmb q d ke ella el él ellos usted ustedes terapia terapeuta seguro estoy hola gracias
""".split())
_ENGLISH = frozenset("""
the i and to my is it you of in that this have want feel am are was be not do don't im i'm i've
what how can with just like for me so but about know if they he she we your get don't cant can't
would will been really anymore myself help need therapy therapist please
""".split())
# Words also common in English or too short to decide a short message alone ("no", "me").
_AMBIGUOUS = frozenset("no me a se te mi el y de la es solo sola mas hay q d ella donde como ya lo le un una".split())
_WORD = re.compile(r"[a-zñáéíóúü']+")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch) or ch == "\u0303")


def language_of(text: str) -> Optional[str]:
    """'es' when the message reads as Spanish, 'en' when it reads as English, None when it is
    too short to tell ("ok", "no", "2"): the conversation's earlier language then applies."""
    lowered = (text or "").lower()
    if any(ch in lowered for ch in "ñ¿¡"):
        return "es"
    words = _WORD.findall(lowered[:2000])
    if not words:
        return None
    folded = [_fold(w) for w in words]
    es = sum(1 for w, f in zip(words, folded) if w in _SPANISH or f in _SPANISH)
    en = sum(1 for w in words if w in _ENGLISH)
    if es >= 2 and es > en:
        return "es"
    distinct = sum(1 for w, f in zip(words, folded) if (w in _SPANISH or f in _SPANISH) and w not in _AMBIGUOUS)
    if len(words) <= 3 and distinct >= 1 and en == 0:
        return "es"
    if en == 0 and distinct == 0 and len(words) <= 2:
        return None
    return "en"
