// `tenantnet ui FILE [--listen 127.0.0.1:PORT]`: the picture of `graph`, live, on one page served on
// loopback. Host changes (a namespace deleted, dnsmasq killed, an OVS port removed, an apply elsewhere)
// redraw it within a second or so; a click shows a box's details; "verify" runs the checks. Runs until
// interrupted (Ctrl-C, SIGTERM).
import { once } from 'node:events';
import { LiveView, parseListen, startUiServer } from '../../ui/index.js';
import { defineCommand } from '../command.js';
import { executorsFor, loadModel } from '../deployment.js';

/** `tenantnet ui`: exit 0 when stopped by a signal. */
export const command = defineCommand({
  name: 'ui',
  summary: 'serve a live page of a topology on this host (loopback)',
  description:
    'Serves one page with the picture of `tenantnet graph`, kept live: a namespace deleted, dnsmasq ' +
    'killed, an OVS port removed or an apply in another terminal shows within about a second. Click ' +
    'a box for its details (kernel names, addresses, security group rules, dnsmasq PID and leases, last ' +
    'verify results); "verify" runs the checks and colours them as they finish. Listens on ' +
    '127.0.0.1:8470 unless --listen names another IP address and port (0: any free port); a ' +
    'non-loopback address is served with a warning. Runs until interrupted.',
  order: 46,
  define: (c) =>
    c
      .argument('<file>', 'topology file (YAML or JSON)')
      .option('--listen <address>', 'HOST:PORT or [IPV6]:PORT to listen on (default 127.0.0.1:8470)'),
  async run({ args: [file], options, globals }, out) {
    const listen = parseListen(options.listen);
    const x = executorsFor(globals);
    const live = new LiveView({
      load: () => loadModel(file, x),
      executors: x,
      ovsdbSocket: globals.ovsdb,
      onWarn: (t) => out.warn(t),
    });
    try {
      await live.start();
      if (!listen.loopback) {
        out.warn(
          `listening on ${listen.host}, which is not loopback: anyone who reaches it sees this host's ` +
            'topology and can run its checks',
        );
      }
      const server = await startUiServer(live, listen);
      try {
        out.result({ url: server.url }, (r) => `tenantnet ui: ${r.url} (Ctrl-C to stop)`);
        await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
        out.info('tenantnet ui: stopping');
      } finally {
        await server.close();
      }
    } finally {
      await live.close();
      await x.close();
    }
    return 0;
  },
});
