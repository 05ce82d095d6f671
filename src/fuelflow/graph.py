"""The stack graph: which stack needs which, derived from the templates' Export / Fn::ImportValue.

Nobody writes the deployment order by hand: it follows from the names templates export and import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from fuelflow.errors import InputError


@dataclass(frozen=True)
class Edge:
    """`consumer` imports `export` from `producer`."""

    producer: str
    consumer: str
    export: str


@dataclass
class StackGraph:
    """Nodes are stack names; an edge A -> B means B imports an export of A."""

    nodes: list[str]
    edges: list[Edge] = field(default_factory=list)

    def dependencies(self, node: str) -> set[str]:
        return {e.producer for e in self.edges if e.consumer == node}

    def dependents(self, node: str) -> set[str]:
        return {e.consumer for e in self.edges if e.producer == node}

    def closure_of_dependents(self, node: str) -> set[str]:
        """Every stack that needs `node`, directly or not."""
        out: set[str] = set()
        todo = [node]
        while todo:
            for d in self.dependents(todo.pop()):
                if d not in out:
                    out.add(d)
                    todo.append(d)
        return out

    def waves(self) -> list[list[str]]:
        """Layers of the topological order: each wave only needs earlier waves. Raises on a cycle."""
        remaining = {n: set(self.dependencies(n)) for n in self.nodes}
        waves: list[list[str]] = []
        while remaining:
            ready = sorted(n for n, deps in remaining.items() if not deps)
            if not ready:
                raise InputError(f"the stacks import from each other in a cycle: {' -> '.join(self.find_cycle())}",
                                 "break the cycle: move the shared resource into one stack and export it")
            waves.append(ready)
            for n in ready:
                del remaining[n]
            for deps in remaining.values():
                deps.difference_update(ready)
        return waves

    def find_cycle(self) -> list[str]:
        """One dependency cycle, as a closed path (for the error message)."""
        colour: dict[str, int] = dict.fromkeys(self.nodes, 0)
        stack: list[str] = []

        def visit(n: str) -> list[str] | None:
            colour[n] = 1
            stack.append(n)
            for d in sorted(self.dependencies(n)):
                if colour[d] == 1:
                    return [*stack[stack.index(d):], d]
                if colour[d] == 0 and (found := visit(d)):
                    return found
            stack.pop()
            colour[n] = 2
            return None

        for n in self.nodes:
            if colour[n] == 0 and (cycle := visit(n)):
                return cycle
        return []

    def critical_path(self, durations: Mapping[str, float]) -> float:
        """The longest chain of durations through the graph: the best wall time any scheduler can reach."""
        finish: dict[str, float] = {}
        for wave in self.waves():
            for n in wave:
                finish[n] = durations[n] + max((finish[d] for d in self.dependencies(n)), default=0.0)
        return max(finish.values(), default=0.0)

    def reversed_waves(self) -> list[list[str]]:
        """Destroy order: dependents before what they depend on."""
        return list(reversed(self.waves()))

    def with_edges(self, extra: Iterable[Edge]) -> StackGraph:
        """This graph plus `extra` edges (e.g. the update order that export removals need)."""
        return StackGraph(nodes=list(self.nodes), edges=[*self.edges, *extra])


def export_removal_edges(removed: Mapping[str, Iterable[str]],
                         importers: Mapping[str, Iterable[str]]) -> list[Edge]:
    """The update order that removing exports needs.

    `removed`: stack -> exports it has today that its new template no longer defines; `importers`: export ->
    the deployed stacks that import it today. AWS refuses to remove an export while a stack imports it
    ("Export ... cannot be deleted as it is in use by ..."), so each importer is updated first (its new
    template no longer imports it): the edge importer -> producer means "producer waits for importer".
    """
    edges: set[Edge] = set()
    for producer, exports in removed.items():
        for export in exports:
            for importer in importers.get(export, ()):
                if importer != producer:
                    edges.add(Edge(producer=importer, consumer=producer, export=export))
    return sorted(edges, key=lambda e: (e.consumer, e.producer, e.export))


def build_graph(exports: Mapping[str, Iterable[str]], imports: Mapping[str, Iterable[str]],
                external: Iterable[str] = ()) -> StackGraph:
    """Build the graph from resolved export names per stack and resolved import names per stack.

    An import that no stack in the set exports is an error, unless it is in `external` (an export that
    already exists in the account, from a stack outside the set).
    """
    producer: dict[str, str] = {}
    for stack, names in exports.items():
        for name in names:
            if name in producer:
                raise InputError(f"export {name!r} is defined by both {producer[name]} and {stack}",
                                 "export names must be unique per account and region")
            producer[name] = stack
    external_set = set(external)
    nodes = list(exports.keys() | imports.keys())
    nodes.sort()
    edges: list[Edge] = []
    for stack, names in imports.items():
        for name in sorted(set(names)):
            if name in producer:
                if producer[name] == stack:
                    raise InputError(f"{stack} imports its own export {name!r}", "use Ref/GetAtt inside the stack")
                edges.append(Edge(producer[name], stack, name))
            elif name not in external_set:
                raise InputError(f"{stack} imports {name!r} but no template exports it",
                                 "add the output with that export name, or fix the import")
    return StackGraph(nodes=nodes, edges=edges)
