"""The system graph: systems as nodes, touchpoints as edges, as Mermaid, DOT or SVG."""

from __future__ import annotations

from dataclasses import dataclass, field

from opsconsole.catalog.catalog import Catalog
from opsconsole.catalog.model import CRITICALITIES, Touchpoint

CRITICALITY_COLOURS = {
    "critical": "#c0392b",
    "high": "#d35400",
    "medium": "#2471a3",
    "low": "#7f8c8d",
}


@dataclass(frozen=True)
class GraphNode:
    """A system."""

    name: str
    title: str
    type: str


@dataclass
class GraphEdge:
    """Every touchpoint from one system to another, drawn as one line."""

    source: str
    target: str
    touchpoints: list[Touchpoint] = field(default_factory=list)

    @property
    def criticality(self) -> str:
        """The highest criticality among the edge's touchpoints."""
        levels = [tp.touchpoint.criticality for tp in self.touchpoints]
        return min(levels, key=CRITICALITIES.index)

    @property
    def colour(self) -> str:
        """Colour of the highest criticality."""
        return CRITICALITY_COLOURS[self.criticality]

    def labels(self) -> list[str]:
        """One 'mode: objects' line per touchpoint."""
        return [label_of(tp) for tp in self.touchpoints]


@dataclass
class SystemGraph:
    """Nodes and aggregated edges of a catalog."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]


def label_of(touchpoint: Touchpoint) -> str:
    """Edge label of one touchpoint: its mode and the objects it carries."""
    spec = touchpoint.touchpoint
    return f"{spec.mode}: {', '.join(spec.objects)}"


def build_graph(catalog: Catalog, touchpoints: list[Touchpoint] | None = None) -> SystemGraph:
    """Build the graph of `touchpoints` (default: all); systems without touchpoints are kept."""
    chosen = catalog.touchpoints if touchpoints is None else touchpoints
    nodes = {
        system.name: GraphNode(system.name, system.display_name, str(system.spec.get("type", "")))
        for system in catalog.systems
    }
    edges: dict[tuple[str, str], GraphEdge] = {}
    for touchpoint in chosen:
        source = catalog.system_name(touchpoint.touchpoint.source)
        target = catalog.system_name(touchpoint.touchpoint.target)
        for name in (source, target):
            nodes.setdefault(name, GraphNode(name, name, "unknown"))
        edges.setdefault((source, target), GraphEdge(source, target)).touchpoints.append(touchpoint)
    return SystemGraph(list(nodes.values()), list(edges.values()))


def to_mermaid(graph: SystemGraph) -> str:
    """Render a Mermaid flowchart, one arrow per touchpoint."""
    lines = ["flowchart LR"]
    for node in graph.nodes:
        shape = f'(["{node.title}"])' if node.type == "middleware" else f'["{node.title}"]'
        lines.append(f"    {_mermaid_id(node.name)}{shape}")
    styles = []
    index = 0
    for edge in graph.edges:
        for touchpoint in edge.touchpoints:
            label = label_of(touchpoint).replace('"', "'")
            source, target = _mermaid_id(edge.source), _mermaid_id(edge.target)
            lines.append(f'    {source} -->|"{label}"| {target}')
            colour = CRITICALITY_COLOURS[touchpoint.touchpoint.criticality]
            styles.append(f"    linkStyle {index} stroke:{colour},stroke-width:2px")
            index += 1
    return "\n".join([*lines, *styles]) + "\n"


def to_dot(graph: SystemGraph) -> str:
    """Render a Graphviz DOT digraph, one edge per touchpoint."""
    lines = [
        "digraph touchpoints {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fillcolor="#f4f6f7", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for node in graph.nodes:
        extra = ', fillcolor="#d6eaf8", penwidth=2' if node.type == "middleware" else ""
        lines.append(f"  {_dot_quote(node.name)} [label={_dot_quote(node.title)}{extra}];")
    for edge in graph.edges:
        for touchpoint in edge.touchpoints:
            colour = CRITICALITY_COLOURS[touchpoint.touchpoint.criticality]
            lines.append(
                f"  {_dot_quote(edge.source)} -> {_dot_quote(edge.target)} "
                f'[label={_dot_quote(label_of(touchpoint))}, color="{colour}", '
                f'fontcolor="{colour}", tooltip={_dot_quote(touchpoint.name)}];'
            )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_id(name: str) -> str:
    return name.replace("-", "_")


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
