/**
 * Where each task run sits in the run graph, left to right along its upstream links.
 *
 * Up to DAGRE_MAX_NODES task runs: dagre (a maintained Sugiyama layout: ranks, then crossings
 * minimised, then coordinates). Above that dagre is too slow for a page: measured here (2 cores,
 * Node 20, dagre 3.1) 0.3 s for 300 nodes fanning out and in, 1.3 s for 1,000, 24 s for 10,000;
 * a 500-node lattice took 2.7 s. So a large run gets a layered layout in one linear pass: a
 * task's column is one past its deepest upstream, rows within a column follow the order of
 * their upstreams (one barycentre sweep), and a column taller than WRAP_ROWS wraps into more
 * columns, so a fan-out of ten thousand is a block, not a line a million pixels long.
 */
import dagre from "@dagrejs/dagre";

export const NODE_WIDTH = 190;
export const NODE_HEIGHT = 46;
export const DAGRE_MAX_NODES = 300;
const RANK_GAP = 64;
const ROW_GAP = 14;
const WRAP_ROWS = 40;

export interface LayoutInput {
  id: string;
  upstream: string[];
}

export interface Layout {
  /** Top-left corner of each node. */
  positions: Map<string, { x: number; y: number }>;
  engine: "dagre" | "layers";
}

export function layoutTasks(tasks: LayoutInput[]): Layout {
  return tasks.length <= DAGRE_MAX_NODES ? dagreLayout(tasks) : layeredLayout(tasks);
}

function dagreLayout(tasks: LayoutInput[]): Layout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: ROW_GAP, ranksep: RANK_GAP, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(tasks.map((t) => t.id));
  for (const t of tasks) g.setNode(t.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const t of tasks) for (const up of t.upstream) if (ids.has(up) && up !== t.id) g.setEdge(up, t.id);
  dagre.layout(g);
  const positions = new Map<string, { x: number; y: number }>();
  for (const t of tasks) {
    const n = g.node(t.id);
    // dagre gives centres.
    positions.set(t.id, { x: n.x - NODE_WIDTH / 2, y: n.y - NODE_HEIGHT / 2 });
  }
  return { positions, engine: "dagre" };
}

export function layeredLayout(tasks: LayoutInput[]): Layout {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const rank = new Map<string, number>();
  // Depth first over upstream links, iteratively (a chain of ten thousand must not blow the
  // stack); a cycle, which the API cannot make, would just be cut.
  for (const t of tasks) {
    if (rank.has(t.id)) continue;
    const stack: { id: string; next: number }[] = [{ id: t.id, next: 0 }];
    const onPath = new Set([t.id]);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const ups = byId.get(top.id)!.upstream;
      if (top.next < ups.length) {
        const up = ups[top.next++]!;
        if (byId.has(up) && !rank.has(up) && !onPath.has(up)) {
          onPath.add(up);
          stack.push({ id: up, next: 0 });
        }
        continue;
      }
      let r = 0;
      for (const up of ups) if (rank.has(up)) r = Math.max(r, rank.get(up)! + 1);
      rank.set(top.id, r);
      onPath.delete(top.id);
      stack.pop();
    }
  }

  const layers: string[][] = [];
  for (const t of tasks) (layers[rank.get(t.id)!] ??= []).push(t.id);
  const row = new Map<string, number>();
  const positions = new Map<string, { x: number; y: number }>();
  let column = 0;
  for (const layer of layers) {
    if (!layer) continue;
    // Barycentre of the upstreams' rows; ties (and sources) keep the run's own order.
    const keyed = layer.map((id, i) => {
      const ups = byId.get(id)!.upstream.filter((u) => row.has(u));
      return { id, i, key: ups.length ? ups.reduce((s, u) => s + row.get(u)!, 0) / ups.length : i };
    });
    keyed.sort((a, b) => a.key - b.key || a.i - b.i);
    keyed.forEach(({ id }, r) => {
      row.set(id, r);
      positions.set(id, {
        x: (column + Math.floor(r / WRAP_ROWS)) * (NODE_WIDTH + RANK_GAP),
        y: (r % WRAP_ROWS) * (NODE_HEIGHT + ROW_GAP),
      });
    });
    column += Math.ceil(layer.length / WRAP_ROWS);
  }
  return { positions, engine: "layers" };
}
