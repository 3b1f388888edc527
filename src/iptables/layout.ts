// The chains every manager starts with, as Neutron's iptables_manager lays them out: wrapped
// built-ins, the shared top and bottom chains, local, snat/float-snat, and mangle's mark chain.
import type { TableName } from './names.js';
import { WRAPPED_BUILTINS } from './names.js';
import type { IptablesTable } from './table.js';

/** The names a manager group shares in one namespace. */
export interface SharedNames {
  /** The shared chain at the top of filter FORWARD and OUTPUT (`<shared>-filter-top`). */
  readonly filterTop: string;
  /** The shared chain at the end of nat POSTROUTING (`<shared>-postrouting-bottom`). */
  readonly postroutingBottom: string;
  /** The comment the shared jumps carry (`<shared>:shared`). */
  readonly mark: string;
}

/**
 * Adds a manager's starting chains and rules to an empty table model:
 * - each wrapped built-in `X` gets `tn-<prefix>-X` and a jump from `X` (carrying the owner mark);
 * - filter: `<shared>-filter-top` at the top of FORWARD and OUTPUT, jumping to `tn-<prefix>-local`;
 * - nat: `<shared>-postrouting-bottom` at the end of POSTROUTING, jumping to `tn-<prefix>-snat`,
 *   whose first rule jumps to `tn-<prefix>-float-snat`;
 * - mangle: `tn-<prefix>-PREROUTING` jumps to `tn-<prefix>-mark` (the L3 agent marks packets there).
 */
export function addLayout(t: IptablesTable, name: TableName, shared: SharedNames): void {
  const sharedJump = (chain: string) => `-m comment --comment ${shared.mark} -j ${chain}`;
  for (const builtin of WRAPPED_BUILTINS[name]) t.addChain(builtin);
  if (name === 'filter') {
    t.addChain(shared.filterTop, { wrap: false });
    for (const b of ['FORWARD', 'OUTPUT'])
      t.insert(b, sharedJump(shared.filterTop), { wrap: false }, 'top', true);
    t.addChain('local');
    t.addRule(shared.filterTop, '-j $local', { wrap: false });
  }
  if (name === 'nat') {
    t.addChain(shared.postroutingBottom, { wrap: false });
    t.insert('POSTROUTING', sharedJump(shared.postroutingBottom), { wrap: false }, 'bottom', true);
    t.addChain('snat');
    t.addChain('float-snat');
    t.addRule('snat', '-j $float-snat');
    t.addRule(shared.postroutingBottom, '-j $snat', { wrap: false });
  }
  if (name === 'mangle') {
    t.addChain('mark');
    t.addRule('PREROUTING', '-j $mark');
  }
  for (const builtin of WRAPPED_BUILTINS[name]) t.addRule(builtin, `-j $${builtin}`, { wrap: false });
}
