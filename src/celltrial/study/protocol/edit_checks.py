"""The protocol's edit checks (optional ``edit_checks:`` section), read by the data-quality app.

An edit check is a REDCap-style data-quality rule: its ``logic`` is **true when the data are
discrepant** (as REDCap's custom data-quality rules: "records that meet the criteria are
discrepancies"), and a true result opens a query on ``field``. A blank result (a field not yet
entered) is false, so a check never fires on data that are simply missing.

``forms`` names the forms whose save runs the check; ``visits`` narrows it to some visits (empty:
every visit that collects one of the forms). Logic reads the saved form's fields by ``[field]`` and
other visits' fields by ``[visit][field]`` (visit codes in lower case, as the eligibility rules):

.. code-block:: yaml

    edit_checks:
      - id: EC_WEIGHT_DROP
        message: {en: Weight fell by more than 10% since baseline, zh: 体重较基线下降超过10%}
        forms: [vitals]
        field: weight_kg
        logic: "[weight_kg] <> '' and [bl][weight_kg] <> '' and [weight_kg] < 0.9 * [bl][weight_kg]"

Kept in its own module (one line in ``schema.py`` adds the section) so the protocol schema and the
data-quality app can grow apart. Cross-references (forms, fields, visits exist) are checked by
:func:`problems`, since they need the whole protocol.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from celltrial import logic
from celltrial.study.protocol.text import Text

_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
_NAME = r"^[a-z][a-z0-9_]*$"
CheckId = Annotated[str, Field(min_length=1, max_length=40, pattern=_CODE)]
FieldName = Annotated[str, Field(min_length=1, max_length=100, pattern=_NAME)]
VisitCode = Annotated[str, Field(min_length=1, max_length=40, pattern=_CODE)]


class EditCheck(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: CheckId
    message: Text = Field(description="the query text the check raises, in English and Chinese")
    logic: str = Field(min_length=1, max_length=4000, description="true when the data are discrepant")
    forms: list[FieldName] = Field(min_length=1, description="forms whose save runs the check")
    visits: list[VisitCode] = Field(default_factory=list, description="visits it runs at (empty: all)")
    field: FieldName | None = Field(
        default=None, description="the field the query is raised on (default: the first field of the "
        "saved form the logic reads)")

    @field_validator("logic")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            logic.parse(value)
        except logic.LogicSyntaxError as exc:
            raise ValueError(f"logic does not parse: {exc}") from None
        return value

    def applies_to(self, form: str, visit: str) -> bool:
        return form in self.forms and (not self.visits or visit.lower() in {v.lower() for v in self.visits})

    def query_field(self, form_fields: list[str]) -> str:
        """The field the query goes on: the declared one, else the first of the form's fields the logic reads."""
        if self.field:
            return self.field
        read = {ref.field for ref in logic.parse(self.logic).references() if ref.event is None}
        for name in form_fields:
            if name in read:
                return name
        return sorted(read)[0] if read else ""


def problems(protocol: Any) -> list[str]:
    """Cross-references of the edit checks that do not resolve (form, field, visit), one line each."""
    return [message for _index, _key, message in located_problems(protocol)]


def located_problems(protocol: Any) -> list[tuple[int, str, str]]:
    """The same, each with the check's index and key in the ``edit_checks`` section, so the loader can name
    the file and line."""
    found: list[tuple[int, str, str]] = []
    forms = {f.name: {x.name for x in f.fields} for f in protocol.forms}
    visits = {v.code.lower() for v in protocol.visits}
    all_fields = {name for names in forms.values() for name in names}
    seen: set[str] = set()
    for i, check in enumerate(getattr(protocol, "edit_checks", []) or []):
        if check.id in seen:
            found.append((i, "id", f"edit check {check.id}: the id is used twice"))
        seen.add(check.id)
        for form in check.forms:
            if form not in forms:
                found.append((i, "forms", f"edit check {check.id}: no form {form!r}"))
        for visit in check.visits:
            if visit.lower() not in visits:
                found.append((i, "visits", f"edit check {check.id}: no visit {visit!r}"))
        for ref in logic.parse(check.logic).references():
            if ref.field not in all_fields:
                found.append((i, "logic", f"edit check {check.id}: logic reads [{ref.field}], which no form has"))
            if ref.event is not None and ref.event.lower() not in visits:
                found.append((i, "logic",
                              f"edit check {check.id}: logic reads [{ref.event}], which is not a visit code"))
        if check.field and not any(check.field in forms.get(f, ()) for f in check.forms):
            found.append((i, "field", f"edit check {check.id}: field {check.field!r} is not on "
                                      f"{', '.join(check.forms)}"))
    return found
