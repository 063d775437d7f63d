"""Protocol as data: the schema, the loader (YAML + REDCap data dictionaries) and canonical hashing.

Pure domain code: no Django here (an import-linter contract enforces it).

    >>> from celltrial.study.protocol import load_protocol, default_protocol_path
    >>> protocol = load_protocol(default_protocol_path())
    >>> protocol.visit("D28").label.get("zh")
"""

from celltrial.study.protocol.defaults import default_protocol_path
from celltrial.study.protocol.errors import Issue, ProtocolError
from celltrial.study.protocol.loader import load_protocol
from celltrial.study.protocol.redcap import read_redcap_csv, write_redcap_csv
from celltrial.study.protocol.schema import (
    Choice,
    Criterion,
    DoseLevel,
    Form,
    FormField,
    Protocol,
    Site,
    Visit,
)
from celltrial.study.protocol.text import Text

__all__ = [
    "Choice",
    "Criterion",
    "DoseLevel",
    "Form",
    "FormField",
    "Issue",
    "Protocol",
    "ProtocolError",
    "Site",
    "Text",
    "Visit",
    "default_protocol_path",
    "load_protocol",
    "read_redcap_csv",
    "write_redcap_csv",
]
