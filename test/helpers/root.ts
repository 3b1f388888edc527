/**
 * Test options that skip a test, with a clear message, when the process is not root. Integration
 * tests drive the real kernel and need it; CI runs as root, so there they all run.
 */
export const rootOnly: { skip?: string } =
  process.getuid?.() === 0
    ? {}
    : { skip: 'integration test: needs root (run the suite as root, as CI does)' };
