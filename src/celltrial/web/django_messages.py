"""Django's own messages that the platform words differently (its catalog comes first, LOCALE_PATHS).

Listed here so that ``makemessages`` puts them in the platform's catalog.
"""

from django.utils.translation import gettext_lazy as _

# Every form label ends with Django's label suffix; Django's Chinese catalog keeps the half-width
# colon, and Chinese text uses the full-width one (DESIGN.md "Languages").
LABEL_SUFFIX = _(":")
