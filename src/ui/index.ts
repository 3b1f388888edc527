// The picture of a topology as this host has it, and the live page that serves it (`tenantnet ui`):
// the overlay from status and verify, the picture, the loopback HTTP server with its SSE stream.

export { ASSET_FILES, type Asset, loadAssets } from './assets.js';
export { type CheckDetail, LEASES_SHOWN, type NodeDetails, nodeDetails, ruleText } from './details.js';
export { UiListenError } from './errors.js';
export { decide, type RequestLine, type Route, type Verdict } from './guard.js';
export { authorityOf, DEFAULT_LISTEN, isLoopback, type ListenAddress, parseListen } from './listen.js';
export { type LiveEvent, type LiveSource, LiveView, type LiveViewOptions, type Snapshot } from './live.js';
export {
  overlayFromStatus,
  type RecordedCheck,
  type RecordedVerify,
  verifyResults,
} from './overlay.js';
export {
  drawPicture,
  type HostObservation,
  observeHost,
  type Picture,
  type PictureOptions,
  type PictureSource,
  pictureOf,
  readVerify,
} from './picture.js';
export { MAX_STREAMS, startUiServer, type UiServer } from './server.js';
export { HostWatch, type HostWatchOptions, NETNS_DIR, type WatchTargets } from './triggers.js';
