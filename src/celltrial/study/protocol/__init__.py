"""Protocol as data: the schema, the loader (YAML + REDCap data dictionaries) and canonical hashing.

Pure domain code: no Django here (an import-linter contract enforces it).

    >>> from celltrial.study.protocol import load_protocol, default_protocol_path
    >>> protocol = load_protocol(default_protocol_path())
    >>> protocol.visit("D28").label.get("zh")
"""

from celltrial.study.protocol.action_tags import ActionTags, parse_action_tags
from celltrial.study.protocol.defaults import default_protocol_path
from celltrial.study.protocol.errors import Issue, LoadWarning, ProtocolError
from celltrial.study.protocol.loader import (
    Dictionary,
    load_dictionary,
    load_protocol,
    load_protocol_with_warnings,
)
from celltrial.study.protocol.redcap import (
    read_redcap_csv,
    read_redcap_file,
    read_redcap_json,
    write_redcap_csv,
)
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
    "ActionTags",
    "Choice",
    "Criterion",
    "Dictionary",
    "DoseLevel",
    "Form",
    "FormField",
    "Issue",
    "LoadWarning",
    "Protocol",
    "ProtocolError",
    "Site",
    "Text",
    "Visit",
    "default_protocol_path",
    "load_dictionary",
    "load_protocol",
    "load_protocol_with_warnings",
    "parse_action_tags",
    "read_redcap_csv",
    "read_redcap_file",
    "read_redcap_json",
    "write_redcap_csv",
]
