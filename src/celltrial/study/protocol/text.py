"""Bilingual text: every user-visible protocol label carries English and Simplified Chinese."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

LANGUAGES = ("en", "zh")


class Text(BaseModel):
    """A label in English (required) and Simplified Chinese (optional; falls back to English)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: str = Field(min_length=1)
    zh: str | None = Field(default=None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _plain_string_is_english(cls, value: Any) -> Any:
        # A bare string is accepted as English-only text so that quick drafts stay short.
        if isinstance(value, str):
            return {"en": value}
        return value

    def get(self, lang: str = "en") -> str:
        """The text in `lang` ("en", "zh", "zh-hans", "zh-CN" ...), English when missing."""
        if lang.lower().startswith("zh") and self.zh:
            return self.zh
        return self.en

    def __str__(self) -> str:
        return self.en


class ShortText(Text):
    """A label stored in a database column as well (a site's name, its investigator): at most 200 characters."""

    en: str = Field(min_length=1, max_length=200)
    zh: str | None = Field(default=None, min_length=1, max_length=200)
