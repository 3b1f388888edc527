// The agent's log: one line per event on stderr, JSON lines with `--json` (what journald and log
// shippers read), plain `tenantnet-agent[host]: message` otherwise. Neutron: oslo.log's JSON formatter.

/** Severity of a log line. */
export type AgentLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where the agent writes what it does. */
export interface AgentLog {
  /** Writes one event: a message and fields (numbers, strings, small objects). */
  write(level: AgentLogLevel, msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

/**
 * A log on a stream: JSON lines (`{"time","level","host","msg",...fields}`) or text lines.
 *
 * @param host the agent's host name (on every line)
 * @param json JSON lines when true
 * @param write where lines go (default: process.stderr)
 * @param debug include `debug` lines
 */
export function streamLog(
  host: string,
  json: boolean,
  write: (line: string) => void = (l) => process.stderr.write(l),
  debug = false,
): AgentLog {
  return {
    write(level, msg, fields = {}) {
      if (level === 'debug' && !debug) return;
      if (json) {
        write(`${JSON.stringify({ time: new Date().toISOString(), level, host, msg, ...fields })}\n`);
        return;
      }
      const extra = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      write(`tenantnet-agent[${host}] ${level}: ${msg}${extra ? ` ${extra}` : ''}\n`);
    },
  };
}

/** A log that drops everything (library use, tests). */
export const silentLog: AgentLog = { write() {} };
