// The picture as JSON for other tools: the graph model as it is (nodes with their label lines, attrs
// and health; edges with theirs), under a format name and version. Horizon's topology API returns the
// same kind of document to its d3 view.
import type { Graph } from './types.js';

/** The `format` field of {@link toJson}'s document. */
export const GRAPH_FORMAT = 'tenantnet-graph';
/** The version of the document's shape; it changes when a field changes meaning or goes away. */
export const GRAPH_VERSION = 1;

/**
 * The graph as a JSON document: `{"format": "tenantnet-graph", "version": 1, "topology", "observed",
 * "nodes", "edges"}`, two-space indented, ending in a newline. Pure.
 */
export function toJson(graph: Graph): string {
  return `${JSON.stringify({ format: GRAPH_FORMAT, version: GRAPH_VERSION, ...graph }, null, 2)}\n`;
}
