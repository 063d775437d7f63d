"""The core every other part of celltrial builds on; it imports nothing else from celltrial.

- :mod:`~celltrial.core.actor`: who is acting, in which role, at which site;
- :mod:`~celltrial.core.errors`: the error types every room and command shares;
- :mod:`~celltrial.core.canonical`: the JSON form of values kept in the audit trail and in signatures;
- :mod:`~celltrial.core.writes`: whether code runs inside an auditing service;
- :mod:`~celltrial.core.models`: the audited-model base and the site every record must declare;
- :mod:`~celltrial.core.personal`: fields declared personal data;
- :mod:`~celltrial.core.hooks`: the points where accounts and study plug into writes;
- :mod:`~celltrial.core.rooms`: what a room declares (permissions, pages, navigation, API).

``actor``, ``errors``, ``canonical`` and ``hooks`` are plain Python, importable without Django.
"""
