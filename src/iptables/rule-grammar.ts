// What iptables' options take: the base options, and the options of the matches and targets
// tenantnet knows, with how many values each takes (Neutron's iptables_manager leaves this to
// iptables; tenantnet needs it to read a rule the way iptables' getopt does, and so to refuse what
// iptables would refuse instead of guessing).

/** Long spellings of the base options, as iptables accepts them. */
export const BASE_ALIASES: Readonly<Record<string, string>> = {
  '--source': '-s',
  '--src': '-s',
  '--destination': '-d',
  '--dst': '-d',
  '--in-interface': '-i',
  '--out-interface': '-o',
  '--protocol': '-p',
  '--fragment': '-f',
  '--match': '-m',
  '--jump': '-j',
  '--goto': '-g',
};

/** The base options in the order iptables-save prints them. `-f` takes no value. */
export const BASE_ORDER: readonly string[] = ['-s', '-d', '-i', '-o', '-p', '-f'];

/**
 * iptables' own commands and general options: never part of a rule (`-A chain -F` would be a
 * second command, `-t nat` another table). Refused wherever they appear, also abbreviated.
 */
export const COMMAND_OPTIONS: readonly string[] = [
  '--append',
  '--check',
  '--delete',
  '--delete-chain',
  '--exact',
  '--flush',
  '--help',
  '--insert',
  '--ipv4',
  '--ipv6',
  '--line-numbers',
  '--list',
  '--list-rules',
  '--modprobe',
  '--new-chain',
  '--numeric',
  '--policy',
  '--rename-chain',
  '--replace',
  '--set-counters',
  '--table',
  '--verbose',
  '--version',
  '--wait',
  '--wait-interval',
  '--zero',
];

/** Options of one match or target: option -> number of values it takes. */
export type OptionArity = Readonly<Record<string, number>>;

/** Matches whose options tenantnet knows. Options of other matches pass through unchecked. */
export const MATCH_OPTIONS: Readonly<Record<string, OptionArity>> = {
  tcp: {
    '--sport': 1,
    '--source-port': 1,
    '--dport': 1,
    '--destination-port': 1,
    '--syn': 0,
    '--tcp-flags': 2,
    '--tcp-option': 1,
  },
  udp: { '--sport': 1, '--source-port': 1, '--dport': 1, '--destination-port': 1 },
  icmp: { '--icmp-type': 1 },
  icmp6: { '--icmpv6-type': 1 },
  comment: { '--comment': 1 },
  multiport: {
    '--sports': 1,
    '--source-ports': 1,
    '--dports': 1,
    '--destination-ports': 1,
    '--ports': 1,
  },
  state: { '--state': 1 },
  conntrack: {
    '--ctstate': 1,
    '--ctproto': 1,
    '--ctorigsrc': 1,
    '--ctorigdst': 1,
    '--ctreplsrc': 1,
    '--ctrepldst': 1,
    '--ctorigsrcport': 1,
    '--ctorigdstport': 1,
    '--ctreplsrcport': 1,
    '--ctrepldstport': 1,
    '--ctstatus': 1,
    '--ctexpire': 1,
    '--ctdir': 1,
  },
  mac: { '--mac-source': 1 },
  mark: { '--mark': 1 },
  connmark: { '--mark': 1 },
  set: {
    '--match-set': 2,
    '--return-nomatch': 0,
    '--update-counters': 0,
    '--update-subcounters': 0,
    '--packets-eq': 1,
    '--packets-lt': 1,
    '--packets-gt': 1,
    '--bytes-eq': 1,
    '--bytes-lt': 1,
    '--bytes-gt': 1,
  },
  physdev: {
    '--physdev-in': 1,
    '--physdev-out': 1,
    '--physdev-is-in': 0,
    '--physdev-is-out': 0,
    '--physdev-is-bridged': 0,
  },
  limit: { '--limit': 1, '--limit-burst': 1 },
  addrtype: { '--src-type': 1, '--dst-type': 1, '--limit-iface-in': 0, '--limit-iface-out': 0 },
  iprange: { '--src-range': 1, '--dst-range': 1 },
  length: { '--length': 1 },
  pkttype: { '--pkt-type': 1 },
  owner: { '--uid-owner': 1, '--gid-owner': 1, '--socket-exists': 0, '--suppl-groups': 0 },
  ttl: { '--ttl-eq': 1, '--ttl-gt': 1, '--ttl-lt': 1 },
  hl: { '--hl-eq': 1, '--hl-gt': 1, '--hl-lt': 1 },
  devgroup: { '--src-group': 1, '--dst-group': 1 },
  helper: { '--helper': 1 },
  dscp: { '--dscp': 1, '--dscp-class': 1 },
  tos: { '--tos': 1 },
  socket: { '--transparent': 0, '--nowildcard': 0, '--restore-skmark': 0 },
  rpfilter: { '--loose': 0, '--validmark': 0, '--accept-local': 0, '--invert': 0 },
  recent: {
    '--name': 1,
    '--set': 0,
    '--rcheck': 0,
    '--update': 0,
    '--remove': 0,
    '--seconds': 1,
    '--reap': 0,
    '--hitcount': 1,
    '--rttl': 0,
    '--rsource': 0,
    '--rdest': 0,
    '--mask': 1,
  },
  connlimit: {
    '--connlimit-upto': 1,
    '--connlimit-above': 1,
    '--connlimit-mask': 1,
    '--connlimit-saddr': 0,
    '--connlimit-daddr': 0,
  },
};

/** Targets whose options tenantnet knows (the verdicts take none). Other targets pass through. */
export const TARGET_OPTIONS: Readonly<Record<string, OptionArity>> = {
  ACCEPT: {},
  DROP: {},
  RETURN: {},
  NOTRACK: {},
  TRACE: {},
  REJECT: { '--reject-with': 1 },
  MARK: { '--set-xmark': 1, '--set-mark': 1, '--and-mark': 1, '--or-mark': 1, '--xor-mark': 1 },
  CONNMARK: {
    '--set-xmark': 1,
    '--set-mark': 1,
    '--save-mark': 0,
    '--restore-mark': 0,
    '--and-mark': 1,
    '--or-mark': 1,
    '--xor-mark': 1,
    '--mask': 1,
    '--nfmask': 1,
    '--ctmask': 1,
  },
  CT: {
    '--notrack': 0,
    '--helper': 1,
    '--ctevents': 1,
    '--expevents': 1,
    '--zone': 1,
    '--zone-orig': 1,
    '--zone-reply': 1,
    '--timeout': 1,
  },
  DNAT: { '--to-destination': 1, '--to': 1, '--random': 0, '--persistent': 0 },
  SNAT: { '--to-source': 1, '--to': 1, '--random': 0, '--random-fully': 0, '--persistent': 0 },
  MASQUERADE: { '--to-ports': 1, '--random': 0, '--random-fully': 0 },
  REDIRECT: { '--to-ports': 1, '--random': 0 },
  LOG: {
    '--log-level': 1,
    '--log-prefix': 1,
    '--log-tcp-sequence': 0,
    '--log-tcp-options': 0,
    '--log-ip-options': 0,
    '--log-uid': 0,
    '--log-macdecode': 0,
  },
  NFLOG: {
    '--nflog-group': 1,
    '--nflog-prefix': 1,
    '--nflog-range': 1,
    '--nflog-size': 1,
    '--nflog-threshold': 1,
  },
  CHECKSUM: { '--checksum-fill': 0 },
  TCPMSS: { '--set-mss': 1, '--clamp-mss-to-pmtu': 0 },
  SET: { '--add-set': 2, '--del-set': 2, '--exist': 0, '--timeout': 1 },
};

/** Option spellings that mean the same option (the first name is how iptables-save prints it). */
export const OPTION_ALIASES: Readonly<Record<string, string>> = {
  '--source-port': '--sport',
  '--destination-port': '--dport',
  '--source-ports': '--sports',
  '--destination-ports': '--dports',
};

/** Options whose value iptables-save prints with xtables_save_string (quoted unless plain). */
export const SAVE_STRING_OPTIONS: ReadonlySet<string> = new Set([
  '--comment',
  '--log-prefix',
  '--nflog-prefix',
]);

/**
 * The order iptables-save prints the options of a match in, where tenantnet knows it (options not
 * listed keep their place after the listed ones).
 */
export const PRINT_ORDER: Readonly<Record<string, readonly string[]>> = {
  tcp: ['--sport', '--dport', '--tcp-option', '--tcp-flags'],
  udp: ['--sport', '--dport'],
  physdev: ['--physdev-in', '--physdev-out', '--physdev-is-in', '--physdev-is-out', '--physdev-is-bridged'],
};

/** Protocol names for the numbers and spellings iptables-save rewrites. */
export const PROTO_NAMES: Readonly<Record<string, string>> = {
  '0': 'all',
  '1': 'icmp',
  '6': 'tcp',
  '17': 'udp',
  '47': 'gre',
  '50': 'esp',
  '51': 'ah',
  '58': 'ipv6-icmp',
  '132': 'sctp',
  icmpv6: 'ipv6-icmp',
};

/** The match `-p X` loads implicitly (its options may be written without `-m`). */
export const PROTO_MATCH: Readonly<Record<string, string>> = {
  tcp: 'tcp',
  udp: 'udp',
  icmp: 'icmp',
  'ipv6-icmp': 'icmp6',
};

/** ICMP type names as iptables-save prints them (numbers). */
export const ICMP_TYPES: Readonly<Record<string, string>> = {
  'echo-reply': '0',
  pong: '0',
  'destination-unreachable': '3',
  'network-unreachable': '3/0',
  'host-unreachable': '3/1',
  'protocol-unreachable': '3/2',
  'port-unreachable': '3/3',
  'fragmentation-needed': '3/4',
  'source-quench': '4',
  redirect: '5',
  'echo-request': '8',
  ping: '8',
  'router-advertisement': '9',
  'router-solicitation': '10',
  'time-exceeded': '11',
  'ttl-exceeded': '11',
  'parameter-problem': '12',
  'timestamp-request': '13',
  'timestamp-reply': '14',
};

/** ICMPv6 type names as ip6tables-save prints them (numbers). */
export const ICMP6_TYPES: Readonly<Record<string, string>> = {
  'destination-unreachable': '1',
  'packet-too-big': '2',
  'time-exceeded': '3',
  'ttl-exceeded': '3',
  'parameter-problem': '4',
  'echo-request': '128',
  ping: '128',
  'echo-reply': '129',
  pong: '129',
  'router-solicitation': '133',
  'router-advertisement': '134',
  'neighbour-solicitation': '135',
  'neighbor-solicitation': '135',
  'neighbour-advertisement': '136',
  'neighbor-advertisement': '136',
  redirect: '137',
};
