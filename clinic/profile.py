"""The deploying clinic's profile: one YAML file, validated on load.

Where it comes from, later sources winning:
  1. the file: CLINIC_PROFILE=/path/to/profile.yml, else the demo clinic in clinic/profile.yml;
  2. single fields from the environment: CLINIC_<FIELD> (CLINIC_NAME, CLINIC_HOURS, ...).
Every field is required and must not be empty; unknown fields are refused, so a misspelt
field name fails loudly instead of leaving a gap in an answer.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Dict, Mapping, Optional, Text

import yaml
from pydantic import BaseModel, Extra, HttpUrl, ValidationError

logger = logging.getLogger(__name__)

DEFAULT_PROFILE_PATH = Path(__file__).resolve().parent / "profile.yml"
PROFILE_PATH_ENV = "CLINIC_PROFILE"
FIELD_ENV_PREFIX = "CLINIC_"
# Domain responses name the fields with this prefix ({clinic_name}, {clinic_hours}, ...),
# which keeps them apart from slot names such as `insurance`.
TEMPLATE_PREFIX = "clinic_"


class ProfileError(ValueError):
    """The clinic profile is missing, unreadable or has a missing, empty or unknown field."""


class ClinicProfile(BaseModel):
    """What the assistant may say about the clinic it is deployed for."""

    name: Text
    services: Text
    service_area: Text
    insurance: Text
    self_pay: Text
    sliding_scale: Text
    wait_time: Text
    hours: Text
    callback_time: Text
    callback_from: Text
    privacy_url: HttpUrl

    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True
        min_anystr_length = 1
        allow_mutation = False

    def template_variables(self) -> Dict[Text, Text]:
        """The values domain responses can use, as {clinic_<field>}."""
        return {TEMPLATE_PREFIX + field: str(value) for field, value in self.dict().items()}


FIELDS = tuple(ClinicProfile.__fields__)


def env_name(field: Text) -> Text:
    return FIELD_ENV_PREFIX + field.upper()


def load_profile(path: Optional[Path] = None, environ: Optional[Mapping[Text, Text]] = None) -> ClinicProfile:
    """The clinic profile from `path` (else CLINIC_PROFILE, else the demo), with CLINIC_<FIELD> overrides."""
    environ = os.environ if environ is None else environ
    source = Path(path or environ.get(PROFILE_PATH_ENV) or DEFAULT_PROFILE_PATH)
    values = _read_file(source)
    from_env = _field_overrides(environ)
    values.update(from_env)
    try:
        profile = ClinicProfile(**values)
    except ValidationError as error:
        problems = "; ".join(_describe(problem, from_env) for problem in error.errors())
        raise ProfileError(f"Clinic profile {source}: {problems}") from None
    logger.info("Clinic profile loaded from %s (%d field(s) overridden by the environment).",
                source, len(from_env))
    return profile


def _read_file(source: Path) -> Dict[Text, object]:
    try:
        content = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProfileError(f"Clinic profile {source} cannot be read: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise ProfileError(f"Clinic profile {source} is not valid YAML: {error}") from None
    if content is None:
        content = {}
    if not isinstance(content, dict):
        raise ProfileError(f"Clinic profile {source} must be a mapping of field: value "
                           f"(fields: {', '.join(FIELDS)}).")
    return dict(content)


def _field_overrides(environ: Mapping[Text, Text]) -> Dict[Text, Text]:
    overrides = {field: environ[env_name(field)] for field in FIELDS if env_name(field) in environ}
    known = {env_name(field) for field in FIELDS} | {PROFILE_PATH_ENV}
    unknown = sorted(key for key in environ if key.startswith(FIELD_ENV_PREFIX) and key not in known)
    if unknown:
        # names only: the values are the clinic's business
        logger.warning("Ignoring unknown clinic profile variable(s) %s; known: %s.",
                       ", ".join(unknown), ", ".join(sorted(known)))
    return overrides


def _describe(problem: Mapping, from_env: Dict[Text, Text]) -> Text:
    field = str(problem["loc"][0]) if problem.get("loc") else "?"
    where = f"field '{field}'" + (f" (from {env_name(field)})" if field in from_env else "")
    kind = problem.get("type", "")
    if kind == "value_error.missing":
        return f"{where} is missing"
    if kind in ("value_error.any_str.min_length", "type_error.none.not_allowed"):
        return f"{where} is empty"
    if kind == "value_error.extra":
        return f"{where} is not a profile field (known fields: {', '.join(FIELDS)})"
    if kind.startswith("value_error.url"):
        return f"{where} must be a web address starting with https:// or http://"
    return f"{where}: {problem.get('msg', 'is not valid')}"
