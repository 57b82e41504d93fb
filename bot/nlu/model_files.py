"""Pickled scikit-learn models inside the Rasa model archive, for the trainable NLU components here."""
from __future__ import annotations

import pickle
from typing import Any, Optional, Text

from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


def save(model_storage: ModelStorage, resource: Resource, file_name: Text, value: Any) -> None:
    with model_storage.write_to(resource) as directory:
        with open(directory / file_name, "wb") as fh:
            pickle.dump(value, fh)


def load(model_storage: ModelStorage, resource: Resource, file_name: Text) -> Optional[Any]:
    """What `save` wrote, or None when this model has no such file (trained without the component)."""
    try:
        with model_storage.read_from(resource) as directory:
            with open(directory / file_name, "rb") as fh:
                return pickle.load(fh)  # only ever a file `save` wrote into our own model archive
    except (ValueError, FileNotFoundError, OSError):
        return None
