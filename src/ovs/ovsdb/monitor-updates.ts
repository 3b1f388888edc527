/**
 * The OVSDB monitor wire format (RFC 7047 section 4.1.5): what a monitor asks for, the updates it
 * receives, and how the initial rows are handed over before any update that raced them. Pure.
 */
import { decodeRow, type OvsdbRow } from './values.js';

/** One row's change in a monitor update: `new` absent = deleted, `old` absent = inserted (or initial). */
export interface RowUpdate {
  /** The row before (for a modify, only the changed columns). */
  readonly old?: OvsdbRow;
  /** The row after (all monitored columns). */
  readonly new?: OvsdbRow;
}

/** Table name → row uuid → change. */
export type TableUpdates = Record<string, Record<string, RowUpdate>>;

/** What a monitor watches per table: the columns (default all). */
export type MonitorRequests = Record<string, { readonly columns?: readonly string[] }>;

/**
 * Called with the initial rows (`initial` true: when the monitor starts and again after every
 * reconnect, so a consumer can resynchronise) and with every later change.
 */
export type MonitorHandler = (updates: TableUpdates, initial: boolean) => void;

/** @internal A monitor as the client keeps it across reconnects. */
export interface MonitorState {
  readonly id: string;
  readonly requests: MonitorRequests;
  readonly handler: MonitorHandler;
  /** Updates that arrived before the initial rows were handed over (the reply resolves a microtask later). */
  queue: TableUpdates[] | null;
}

/** @internal Hands the initial rows to the handler, then any updates that arrived before them. */
export function deliverInitial(m: MonitorState, initial: unknown): void {
  const queued = m.queue ?? [];
  m.queue = null;
  m.handler(decodeUpdates(initial), true);
  for (const u of queued) m.handler(u, false);
}

/** @internal The `monitor` request's per-table part. */
export function encodeRequests(r: MonitorRequests): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [t, q] of Object.entries(r)) out[t] = q.columns ? { columns: q.columns } : {};
  return out;
}

/** @internal Decodes a `<table-updates>` object. */
export function decodeUpdates(j: unknown): TableUpdates {
  const out: TableUpdates = {};
  if (!j || typeof j !== 'object') return out;
  for (const [table, rows] of Object.entries(j as Record<string, Record<string, Record<string, unknown>>>)) {
    const t: Record<string, RowUpdate> = {};
    for (const [id, u] of Object.entries(rows)) {
      t[id] = {
        ...(u.old !== undefined ? { old: decodeRow(u.old) } : {}),
        ...(u.new !== undefined ? { new: decodeRow(u.new) } : {}),
      };
    }
    out[table] = t;
  }
  return out;
}
