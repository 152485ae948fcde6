"""Base of the API's request bodies: the same text rules as the pages."""

from typing import Any

from ninja import Schema
from pydantic import model_validator
from pydantic_core import PydanticCustomError

from zlv.utils.text import CONTROL_CHARACTERS_MESSAGE, has_control_characters


class InputSchema(Schema):
    """A JSON body; any text in it (nested in lists and objects too) refusing control characters,
    which ninja answers with a 422."""

    @model_validator(mode="after")
    def _refuse_control_characters(self):
        if _has_control_characters(self.model_dump()):
            raise PydanticCustomError("control_characters", CONTROL_CHARACTERS_MESSAGE)
        return self


def _has_control_characters(value: Any) -> bool:
    if isinstance(value, str):
        return has_control_characters(value)
    if isinstance(value, dict):
        return any(
            _has_control_characters(key) or _has_control_characters(item) for key, item in value.items()
        )
    if isinstance(value, list | tuple):
        return any(_has_control_characters(item) for item in value)
    return False
