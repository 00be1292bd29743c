"""Draw the system graph as standalone SVG with a small layout of its own, no Graphviz needed.

Layout: hub and spoke. Middleware systems sit in the centre and every other system on an
ellipse around them; edges are quadratic curves, bent apart when two systems talk both ways,
and labelled beside them near the middle, at the first place that overlaps no node or other
label.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from html import escape

from opsconsole.catalog.graph import CRITICALITY_COLOURS, GraphEdge, SystemGraph
from opsconsole.catalog.model import CRITICALITIES

NODE_WIDTH = 150.0
NODE_HEIGHT = 46.0
STRETCH = 1.6
LABEL_ROOM = 120.0
HUB_GAP = 80.0
MARGIN = 30.0
FONT_SIZE = 11.0
LINE_HEIGHT = 14.0
CHAR_WIDTH = 6.3
MAX_LABEL_LINES = 5


@dataclass
class _Box:
    x: float
    y: float
    width: float
    height: float

    def overlaps(self, other: _Box) -> bool:
        return not (
            self.x + self.width <= other.x
            or other.x + other.width <= self.x
            or self.y + self.height <= other.y
            or other.y + other.height <= self.y
        )


@dataclass
class _Label:
    lines: list[str]
    colour: str
    candidates: list[_Box]
    box: _Box


def render_svg(graph: SystemGraph, title: str = "Touchpoints between systems") -> str:
    """Return an SVG document of `graph`; it needs no fonts, scripts or network to display."""
    centres = _layout(graph)
    edge_parts, labels = _edges(graph, centres)
    _place(labels, [_node_box(centre) for centre in centres.values()])
    body = [*edge_parts, *_labels(labels), *_nodes(graph, centres)]
    width, height = _extent(centres, [label.box for label in labels])
    legend, legend_height = _legend(height)
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} '
            f'{height + legend_height:.0f}" width="{width:.0f}" '
            f'height="{height + legend_height:.0f}" role="img" aria-label="{escape(title)}" '
            'font-family="Helvetica, Arial, sans-serif">',
            f"<title>{escape(title)}</title>",
            _markers(),
            '<rect width="100%" height="100%" fill="#ffffff"/>',
            *body,
            legend,
            "</svg>",
        ]
    )


def _layout(graph: SystemGraph) -> dict[str, tuple[float, float]]:
    hubs = [node.name for node in graph.nodes if node.type == "middleware"]
    ring = _ring_order(graph, [node.name for node in graph.nodes if node.name not in hubs])
    radius = max(320.0, len(ring) * 260.0 / (2 * math.pi))
    centre_x = MARGIN + NODE_WIDTH / 2 + radius * STRETCH + LABEL_ROOM
    centre_y = MARGIN + NODE_HEIGHT / 2 + radius + LABEL_ROOM / 2
    centres = {}
    for index, name in enumerate(ring):
        angle = -math.pi / 2 + 2 * math.pi * index / len(ring)
        centres[name] = (
            centre_x + radius * STRETCH * math.cos(angle),
            centre_y + radius * math.sin(angle),
        )
    for index, name in enumerate(hubs):
        centres[name] = (centre_x, centre_y + (index - (len(hubs) - 1) / 2) * HUB_GAP)
    return centres


def _ring_order(graph: SystemGraph, names: list[str]) -> list[str]:
    # Systems linked directly (bypassing the hub) sit next to each other, so those chords stay
    # short and do not cross the centre.
    links: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for edge in graph.edges:
        links[edge.source][edge.target] += len(edge.touchpoints)
        links[edge.target][edge.source] += len(edge.touchpoints)
    remaining = sorted(names, key=lambda n: (-sum(links[n].values()), n))
    order: list[str] = []
    while remaining:
        last = order[-1] if order else None
        best = max(remaining, key=lambda n: links[last][n] if last else 0) if last else remaining[0]
        order.append(best)
        remaining.remove(best)
    return order


def _edges(
    graph: SystemGraph, centres: dict[str, tuple[float, float]]
) -> tuple[list[str], list[_Label]]:
    pairs = {(edge.source, edge.target) for edge in graph.edges}
    parts: list[str] = []
    labels: list[_Label] = []
    for edge in sorted(graph.edges, key=lambda e: CRITICALITIES.index(e.criticality), reverse=True):
        start, control, end = _curve(edge, centres, (edge.target, edge.source) in pairs)
        width = 1.5 + min(len(edge.touchpoints), 6) * 0.5
        names = ", ".join(tp.name for tp in edge.touchpoints)
        parts.append(
            f'<path d="M{start[0]:.1f},{start[1]:.1f} Q{control[0]:.1f},{control[1]:.1f} '
            f'{end[0]:.1f},{end[1]:.1f}" fill="none" stroke="{edge.colour}" '
            f'stroke-width="{width:.1f}" marker-end="url(#arrow-{edge.criticality})">'
            f"<title>{escape(edge.source)} → {escape(edge.target)}: {escape(names)}</title>"
            "</path>"
        )
        lines = _label_lines(edge)
        candidates = _label_candidates(start, control, end, lines)
        labels.append(_Label(lines, edge.colour, candidates, candidates[0]))
    return parts, labels


def _curve(
    edge: GraphEdge, centres: dict[str, tuple[float, float]], has_reverse: bool
) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    (x1, y1), (x2, y2) = centres[edge.source], centres[edge.target]
    if edge.source == edge.target:
        return (x1 + 20, y1 - NODE_HEIGHT / 2), (x1 + 90, y1 - 90), (x1 + 50, y1 - NODE_HEIGHT / 2)
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy) or 1.0
    bend = 50.0 if has_reverse else 25.0
    control = ((x1 + x2) / 2 - dy / length * bend, (y1 + y2) / 2 + dx / length * bend)
    return _border((x1, y1), control), control, _border((x2, y2), control)


def _label_candidates(
    start: tuple[float, float],
    control: tuple[float, float],
    end: tuple[float, float],
    lines: list[str],
) -> list[_Box]:
    """List places for an edge label, best first: beside the curve, near its middle.

    Each box touches the curve at one point, first on the outside of the bend, then inside.
    """
    chord_x, chord_y = end[0] - start[0], end[1] - start[1]
    length = math.hypot(chord_x, chord_y) or 1.0
    normal_x, normal_y = -chord_y / length, chord_x / length
    middle = _point_on(start, control, end, 0.5)
    outward = (middle[0] - (start[0] + end[0]) / 2) * normal_x
    outward += (middle[1] - (start[1] + end[1]) / 2) * normal_y
    if outward < 0:
        normal_x, normal_y = -normal_x, -normal_y
    size = _label_box(lines, (0.0, 0.0))
    reach = size.width / 2 * abs(normal_x) + size.height / 2 * abs(normal_y) + 4
    boxes = []
    for t in (0.5, 0.4, 0.6, 0.3, 0.7):
        x, y = _point_on(start, control, end, t)
        for side in (1.0, -1.0):
            centre = (x + side * normal_x * reach, y + side * normal_y * reach)
            boxes.append(_label_box(lines, centre))
    return boxes


def _border(centre: tuple[float, float], toward: tuple[float, float]) -> tuple[float, float]:
    dx, dy = toward[0] - centre[0], toward[1] - centre[1]
    scale = min(
        (NODE_WIDTH / 2) / abs(dx) if dx else math.inf,
        (NODE_HEIGHT / 2 + 3) / abs(dy) if dy else math.inf,
    )
    return centre[0] + dx * scale, centre[1] + dy * scale


def _point_on(
    start: tuple[float, float], control: tuple[float, float], end: tuple[float, float], t: float
) -> tuple[float, float]:
    a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t**2
    return (
        a * start[0] + b * control[0] + c * end[0],
        a * start[1] + b * control[1] + c * end[1],
    )


def _label_lines(edge: GraphEdge) -> list[str]:
    lines = edge.labels()
    if len(lines) > MAX_LABEL_LINES:
        hidden = len(lines) - MAX_LABEL_LINES + 1
        lines = [*lines[: MAX_LABEL_LINES - 1], f"+{hidden} more touchpoints"]
    return lines


def _label_box(lines: list[str], centre: tuple[float, float]) -> _Box:
    width = max(len(line) for line in lines) * CHAR_WIDTH + 10
    height = len(lines) * LINE_HEIGHT + 6
    return _Box(centre[0] - width / 2, centre[1] - height / 2, width, height)


def _node_box(centre: tuple[float, float]) -> _Box:
    x, y = centre
    return _Box(x - NODE_WIDTH / 2, y - NODE_HEIGHT / 2, NODE_WIDTH, NODE_HEIGHT)


class _Grid:
    """Placed boxes bucketed by grid cell, so an overlap test looks only at nearby boxes."""

    CELL = 200.0

    def __init__(self, boxes: list[_Box]) -> None:
        self._cells: dict[tuple[int, int], list[_Box]] = defaultdict(list)
        for box in boxes:
            self.add(box)

    def _keys(self, box: _Box) -> list[tuple[int, int]]:
        columns = range(int(box.x // self.CELL), int((box.x + box.width) // self.CELL) + 1)
        rows = range(int(box.y // self.CELL), int((box.y + box.height) // self.CELL) + 1)
        return [(column, row) for column in columns for row in rows]

    def add(self, box: _Box) -> None:
        for key in self._keys(box):
            self._cells[key].append(box)

    def first_overlap(self, box: _Box) -> _Box | None:
        for key in self._keys(box):
            for other in self._cells.get(key, ()):
                if box.overlaps(other):
                    return other
        return None


def _place(labels: list[_Label], obstacles: list[_Box]) -> None:
    """Give each label the first candidate box that overlaps no node and no placed label.

    Larger labels are placed first. A label with no free candidate is pushed down from its
    first candidate until it is clear.
    """
    grid = _Grid(obstacles)
    for label in sorted(labels, key=lambda item: -item.box.width * item.box.height):
        free = [box for box in label.candidates if grid.first_overlap(box) is None]
        label.box = free[0] if free else _pushed_down(label.candidates[0], grid)
        grid.add(label.box)


def _pushed_down(box: _Box, grid: _Grid) -> _Box:
    other = grid.first_overlap(box)
    while other is not None:
        box = _Box(box.x, other.y + other.height + 2, box.width, box.height)
        other = grid.first_overlap(box)
    return box


def _labels(labels: list[_Label]) -> list[str]:
    parts = []
    for label in labels:
        box, lines, colour = label.box, label.lines, label.colour
        parts.append(
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" '
            f'height="{box.height:.1f}" rx="3" fill="#ffffff" fill-opacity="0.92" '
            f'stroke="{colour}" stroke-width="0.6"/>'
        )
        for index, line in enumerate(lines):
            y = box.y + 3 + (index + 1) * LINE_HEIGHT - 3
            parts.append(
                f'<text x="{box.x + 5:.1f}" y="{y:.1f}" font-size="{FONT_SIZE:.0f}" '
                f'fill="#1b2631">{escape(line)}</text>'
            )
    return parts


def _nodes(graph: SystemGraph, centres: dict[str, tuple[float, float]]) -> list[str]:
    parts = []
    for node in graph.nodes:
        x, y = centres[node.name]
        hub = node.type == "middleware"
        fill, stroke = ("#d6eaf8", "#1f618d") if hub else ("#f4f6f7", "#566573")
        parts.append(
            f'<g class="system" data-system="{escape(node.name)}">'
            f'<rect x="{x - NODE_WIDTH / 2:.1f}" y="{y - NODE_HEIGHT / 2:.1f}" '
            f'width="{NODE_WIDTH:.0f}" height="{NODE_HEIGHT:.0f}" rx="8" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{2.5 if hub else 1.5}"/>'
            f'<text x="{x:.1f}" y="{y - 2:.1f}" text-anchor="middle" font-size="13" '
            f'font-weight="bold" fill="#1b2631">{escape(node.title)}</text>'
            f'<text x="{x:.1f}" y="{y + 13:.1f}" text-anchor="middle" font-size="10" '
            f'fill="#566573">{escape(node.type)}</text></g>'
        )
    return parts


def _extent(centres: dict[str, tuple[float, float]], boxes: list[_Box]) -> tuple[float, float]:
    right = [x + NODE_WIDTH / 2 for x, _ in centres.values()] + [b.x + b.width for b in boxes]
    bottom = [y + NODE_HEIGHT / 2 for _, y in centres.values()] + [b.y + b.height for b in boxes]
    return max([*right, 400.0]) + MARGIN, max([*bottom, 100.0]) + MARGIN


def _markers() -> str:
    markers = [
        f'<marker id="arrow-{level}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{colour}"/></marker>'
        for level, colour in CRITICALITY_COLOURS.items()
    ]
    return "<defs>" + "".join(markers) + "</defs>"


def _legend(top: float) -> tuple[str, float]:
    parts = [f'<g class="legend" transform="translate({MARGIN:.0f},{top:.0f})">']
    for index, (level, colour) in enumerate(CRITICALITY_COLOURS.items()):
        x = index * 110
        parts.append(
            f'<line x1="{x}" y1="8" x2="{x + 28}" y2="8" stroke="{colour}" stroke-width="3"/>'
            f'<text x="{x + 34}" y="12" font-size="11" fill="#1b2631">{level}</text>'
        )
    parts.append(
        '<rect x="450" y="0" width="26" height="16" rx="4" fill="#d6eaf8" stroke="#1f618d"/>'
        '<text x="482" y="12" font-size="11" fill="#1b2631">middleware</text></g>'
    )
    return "".join(parts), 30.0
