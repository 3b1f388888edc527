// Links and namespaces as desired state: the pure plans (observed -> IpOp[]) that make a namespace
// exist with `lo` up and marked, a veth pair exist by name with its marks, a link carry the state
// asked for, and routes be there. [] when converged. What planners above the ip layer compose.
// Neutron: ip_lib.ensure_device_is_ready, the interface driver's plug, init_l3's routes.
import { InvalidInputError } from '../errors.js';
import { deviceName, type Mtu, type NamespaceName, token } from '../net/types.js';
import { defined } from './defined.js';
import type { VethSpec } from './link-add.js';
import { vethOps } from './link-add.js';
import type { LinkInfo } from './links.js';
import { createNamespaceOps } from './namespaces.js';
import type { IpOp, LinkChanges, RouteSpec } from './ops.js';
import { type Mark, OWNER_ALIAS_PREFIX } from './ownership.js';
import type { RouteInfo } from './routes.js';

/** What a planner cares about on a link; an absent field is left as it is. */
export interface LinkWant {
  /** Administratively up or down. */
  readonly up?: boolean;
  readonly mtu?: Mtu;
  /** The ownership mark: ifalias and link group. */
  readonly mark?: Mark;
}

/**
 * The `link set` that brings an existing link to `want`, or [] when it already is. Pure.
 *
 * Equivalent to: `ip link set dev NAME [mtu M] [alias A] [group G] [up|down]`
 */
export function planLinkOps(want: LinkWant, have: LinkInfo): IpOp[] {
  const set: LinkChanges = defined({
    mtu: want.mtu !== undefined && have.mtu !== want.mtu ? want.mtu : undefined,
    alias: want.mark && have.alias !== want.mark.alias ? want.mark.alias : undefined,
    group: want.mark && have.group !== want.mark.group ? want.mark.group : undefined,
    up: want.up !== undefined && have.up !== want.up ? want.up : undefined,
  });
  return Object.keys(set).length === 0 ? [] : [{ op: 'link.set', name: have.name, set }];
}

/** The ifalias that marks a namespace's `lo` as made by `owner` (`tenantnet:<owner>`). */
export function namespaceMark(owner: string): string {
  return `${OWNER_ALIAS_PREFIX}${token(owner, 'owner')}`;
}

/**
 * The ops that make a namespace exist with `lo` up and carrying the owner mark as its alias, per
 * namespace: `root` runs in the root namespace (`netns add`: namespace names are global), `inside`
 * in the namespace (`lo` up and marked, and promote_secondaries for a new one, as
 * {@link createNamespaceOps}). `have` is the namespace's links (null: it does not exist). Pure
 * apart from reading once whether the host passes promote_secondaries on.
 *
 * @returns `created` when the namespace is to be made; both lists empty when converged
 */
export function planNamespaceOps(
  ns: NamespaceName,
  owner: string,
  have: readonly LinkInfo[] | null,
  options: { readonly promoteSecondaries?: boolean } = {},
): { readonly created: boolean; readonly root: IpOp[]; readonly inside: IpOp[] } {
  const alias = namespaceMark(owner);
  const lo = deviceName('lo');
  if (have === null) {
    const { root, inside } = createNamespaceOps(ns, options);
    const rest = inside.filter((o) => !(o.op === 'link.set' && o.name === lo));
    return { created: true, root, inside: [{ op: 'link.set', name: lo, set: { alias, up: true } }, ...rest] };
  }
  const now = have.find((l) => l.name === lo);
  const inside: IpOp[] =
    now === undefined
      ? []
      : now.alias === alias && now.up
        ? []
        : [
            {
              op: 'link.set',
              name: lo,
              set: defined({ alias: now.alias === alias ? undefined : alias, up: true }),
            },
          ];
  return { created: false, root: [], inside };
}

/** What {@link planVethOps} plans, per namespace. */
export interface VethPlan {
  /** Links of another kind (or a lone end) holding the names: deleted first (`link del`). */
  readonly remove: { readonly here: IpOp[]; readonly there: IpOp[] };
  /** The pair is to be made (then `here`/`there` create, mark and raise it). */
  readonly created: boolean;
  /** Ops in the spec's namespace. */
  readonly here: IpOp[];
  /** Ops in the peer's namespace. */
  readonly there: IpOp[];
}

/**
 * A veth pair by name: made when missing (the peer straight in its namespace, marks and `up` set
 * where each end lives, as {@link vethOps}); when both ends are there as veths, their MTU, marks and
 * state are corrected in place; anything else holding one of the names (another kind of link, or an
 * end whose other half is gone elsewhere) is removed first. `here`/`there` are the links of the
 * spec's and the peer's namespaces (null: the namespace does not exist, so nothing is there). Pure.
 */
export function planVethOps(
  s: VethSpec,
  here: readonly LinkInfo[] | null,
  there: readonly LinkInfo[] | null,
): VethPlan {
  const a = here?.find((l) => l.name === s.name);
  const b = (s.peerNamespace === s.namespace ? here : there)?.find((l) => l.name === s.peer);
  const want: LinkWant = defined({ up: s.up ? true : undefined, mtu: s.mtu, mark: s.mark });
  if (a?.kind === 'veth' && b?.kind === 'veth') {
    const apart = s.peerNamespace !== s.namespace;
    const fixB = planLinkOps(want, b);
    return {
      remove: { here: [], there: [] },
      created: false,
      here: [...planLinkOps(want, a), ...(apart ? [] : fixB)],
      there: apart ? fixB : [],
    };
  }
  const gone = (l: LinkInfo | undefined): IpOp[] => (l ? [{ op: 'link.del', name: l.name }] : []);
  const apart = s.peerNamespace !== s.namespace;
  const { here: h, there: t } = vethOps(s);
  return {
    remove: { here: [...gone(a), ...(apart ? [] : gone(b))], there: apart ? gone(b) : [] },
    created: true,
    here: h,
    there: t,
  };
}

// What `ip -j route` prints for a destination: `default`, a bare address for a host route.
function routeKey(to: string, family: 4 | 6): string {
  if (to === 'default') return 'default';
  const [addr, len] = to.split('/');
  return (family === 4 && len === '32') || (family === 6 && len === '128') ? addr! : to;
}

function tableKey(t: RouteSpec['table'] | RouteInfo['table'] | undefined): string {
  return t === undefined || t === 'main' || t === 254 ? 'main' : String(t);
}

/**
 * The ops that add the routes of `want` missing from `have` (`route replace`, so a route the kernel
 * holds with other attributes is corrected). A route matches on destination, table, gateway, device
 * and metric (those it states). Routes not wanted are left alone: routes carry no owner. Pure.
 *
 * @throws {InvalidInputError} for a route without `family` set (use `routeSpec`)
 */
export function planRoutes(want: readonly RouteSpec[], have: readonly RouteInfo[]): IpOp[] {
  const ops: IpOp[] = [];
  for (const r of want) {
    const fam = r.family;
    if (fam !== 4 && fam !== 6)
      throw new InvalidInputError('route: family is not set (build it with routeSpec)', 'family');
    const found = have.some(
      (h) =>
        h.family === fam &&
        h.to === routeKey(r.to, fam) &&
        tableKey(h.table) === tableKey(r.table) &&
        (r.via === undefined || h.via === r.via) &&
        (r.dev === undefined || h.dev === r.dev) &&
        (r.metric === undefined || h.metric === r.metric),
    );
    if (!found) ops.push({ op: 'route.replace', route: r, family: fam });
  }
  return ops;
}
