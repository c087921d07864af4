"use client";
/**
 * A flow run's task runs as a graph: an edge from each task run to those that consumed its
 * result, laid out left to right (./task-layout.ts), each node coloured by its state (the
 * badges' colours) and a link to its task-run page. React Flow renders only the nodes and edges
 * in view (onlyRenderVisibleElements), and every node carries its size and handle positions, so
 * nodes never rendered still anchor their edges and nothing waits on measuring ten thousand.
 */
import "@xyflow/react/dist/style.css";
import { Background, Controls, Handle, MarkerType, Position, ReactFlow, type Edge, type Node, type NodeProps } from "@xyflow/react";
import Link from "next/link";
import { memo, useMemo } from "react";
import { stateTone } from "@/app/_components/state-badge";
import { useTaskIndex } from "@/app/_components/task-index";
import { taskRunHref, type TaskSummary } from "@/app/_lib/task-summary";
import { layoutTasks, NODE_HEIGHT, NODE_WIDTH } from "./task-layout";

type TaskNode = Node<{ task: TaskSummary; href: string }, "task">;

/** Up to this many nodes the whole graph is fitted into view; beyond, it opens at its start. */
const FIT_MAX_NODES = 150;
/** The graph's box, in px: as tall as a small graph needs, within these bounds. */
const MIN_HEIGHT = 180;
const MAX_HEIGHT = 560;

const HANDLES: Node["handles"] = [
  { type: "target", position: Position.Left, x: 0, y: NODE_HEIGHT / 2 - 0.5, width: 1, height: 1 },
  { type: "source", position: Position.Right, x: NODE_WIDTH - 1, y: NODE_HEIGHT / 2 - 0.5, width: 1, height: 1 },
];

/**
 * React Flow gives a node that is neither selectable, draggable nor clickable no pointer events;
 * ours hold a link to follow.
 */
const NODE_STYLE = { pointerEvents: "all" } as const;

const TaskNodeView = memo(function TaskNodeView({ data: { task, href } }: NodeProps<TaskNode>) {
  const retries = Math.max(0, task.runCount - 1);
  return (
    <>
      <Handle type="target" position={Position.Left} isConnectable={false} className="task-node-handle" />
      <Link
        href={href}
        prefetch={false}
        className={`task-node badge-${stateTone(task.stateType)}`}
        data-testid="graph-node"
        data-task-key={task.taskKey}
        data-state-type={task.stateType}
        title={`${task.name}: ${task.stateName}${task.failure ? ` (${task.failure})` : ""}`}
      >
        <span className="task-node-name">{task.name}</span>
        <span className="task-node-state">
          {task.stateName}
          {retries ? ` · retried ×${retries}` : ""}
          {task.kind ? ` · ${task.kind}` : ""}
        </span>
      </Link>
      <Handle type="source" position={Position.Right} isConnectable={false} className="task-node-handle" />
    </>
  );
});

const nodeTypes = { task: TaskNodeView };

export function TaskGraph() {
  const { runId, tasks, byId } = useTaskIndex();
  const { nodes, edges, engine, height } = useMemo(() => {
    const layout = layoutTasks(tasks);
    const nodes: TaskNode[] = tasks.map((task) => ({
      id: task.id,
      type: "task",
      position: layout.positions.get(task.id)!,
      data: { task, href: taskRunHref(runId, task.id) },
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      handles: HANDLES,
      style: NODE_STYLE,
      draggable: false,
      connectable: false,
      selectable: false,
      ariaLabel: `${task.name}, ${task.stateName}`,
    }));
    const edges: Edge[] = tasks.flatMap((task) =>
      task.upstream
        .filter((up) => byId.has(up))
        .map((up) => ({
          id: `${up}>${task.id}`,
          source: up,
          target: task.id,
          markerEnd: { type: MarkerType.ArrowClosed, width: 14, height: 14 },
          // A link into a task still running or waiting: the data is on its way.
          animated: task.stateType === "RUNNING",
        })),
    );
    // A small graph gets a box its own height; a large one a screenful to pan around.
    const bottom = nodes.reduce((max, n) => Math.max(max, n.position.y + NODE_HEIGHT), 0);
    const height = Math.round(Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, bottom + 96)));
    return { nodes, edges, engine: layout.engine, height };
  }, [tasks, byId, runId]);
  const fit = nodes.length <= FIT_MAX_NODES;

  return (
    <div className="task-graph" style={{ height }} data-testid="task-graph" data-layout={engine} data-nodes={nodes.length} data-edges={edges.length}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onlyRenderVisibleElements
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        // The link inside each node takes the focus (one tab stop per node, Enter follows it).
        nodesFocusable={false}
        edgesFocusable={false}
        fitView={fit}
        fitViewOptions={{ maxZoom: 1, padding: 0.15 }}
        defaultViewport={{ x: 16, y: 16, zoom: 0.85 }}
        minZoom={0.2}
        maxZoom={1.5}
        // The page scrolls under the wheel; zoom with the controls, a pinch or Ctrl + wheel.
        zoomOnScroll={false}
        preventScrolling={false}
        aria-label="Task run graph"
      >
        <Background gap={24} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
