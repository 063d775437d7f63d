"""Where each value of a protocol came from: data path -> (file, line, CSV column)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from celltrial.study.protocol.errors import Path_


@dataclass(frozen=True)
class Origin:
    file: str
    line: int | None
    csv_column: str | None = None


class SourceMap:
    """Maps data paths such as ('visits', 3, 'window', 'plus') to their origin.

    A path missing from the map (a required key left out) resolves to its
    nearest recorded ancestor, which is where the coordinator must add it.
    """

    def __init__(self, root_file: str):
        self.root_file = root_file
        self._origins: dict[Path_, Origin] = {(): Origin(root_file, 1)}

    def add(self, path: Path_, origin: Origin) -> None:
        self._origins[path] = origin

    def graft(self, prefix: Path_, other: SourceMap) -> None:
        """Attach another file's map under `prefix` (an included file's content placed at prefix)."""
        for path, origin in other._origins.items():
            if path or prefix not in self._origins:
                self._origins[prefix + path] = origin

    def drop(self, prefix: Path_) -> None:
        """Forget everything strictly under `prefix` (before its content is replaced)."""
        n = len(prefix)
        for path in [p for p in self._origins if len(p) > n and p[:n] == prefix]:
            del self._origins[path]

    def subtree(self, prefix: Path_) -> SourceMap:
        """The part under `prefix`, re-rooted at ()."""
        sub = SourceMap(self.root_file)
        sub.add((), self.locate(prefix))
        n = len(prefix)
        for path, origin in self._origins.items():
            if len(path) > n and path[:n] == prefix:
                sub.add(path[n:], origin)
        return sub

    def children(self, prefix: Path_) -> dict[str | int, SourceMap]:
        """The part under each child of `prefix`, re-rooted at (), in one pass over the map.

        `subtree` for each child would read the whole map once per child: quadratic for a list
        of many entries.
        """
        n = len(prefix)
        parts: dict[str | int, SourceMap] = {}
        for path, origin in self._origins.items():
            if len(path) > n and path[:n] == prefix:
                sub = parts.get(path[n])
                if sub is None:
                    sub = parts[path[n]] = SourceMap(self.root_file)
                    sub.add((), self.locate(path[:n + 1]))
                if len(path) > n + 1:
                    sub.add(path[n + 1:], origin)
        return parts

    def locate(self, path: Sequence[str | int]) -> Origin:
        p = tuple(path)
        while p not in self._origins:
            p = p[:-1]
        return self._origins[p]

    def items(self) -> list[tuple[Path_, Origin]]:
        return list(self._origins.items())

    def __contains__(self, path: object) -> bool:
        return path in self._origins
