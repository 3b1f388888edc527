// The picture of a topology: a graph model from the resolved model, its checks and what the host has,
// drawn as DOT, SVG (Graphviz in WebAssembly), JSON or Mermaid.
export { type DotOptions, toDot } from './dot.js';
export { DRAW_UNHEALTHY, GROUP_ABOVE } from './group.js';
export { GRAPH_FORMAT, GRAPH_VERSION, toJson } from './json.js';
export { toMermaid } from './mermaid.js';
export { buildGraph, type GraphOptions } from './model.js';
export { GraphRenderError, toSvg } from './svg.js';
export type {
  CheckOutcome,
  CheckStatus,
  DhcpStatus,
  Graph,
  GraphAttr,
  GraphEdge,
  GraphEdgeKind,
  GraphHealth,
  GraphNode,
  GraphNodeKind,
  GraphOverlay,
  ResourceState,
  ResourceStatus,
} from './types.js';
