// The picture of a topology as this host has it, and the live page that serves it (`tenantnet ui`):
// the overlay from status and verify, the picture, the loopback HTTP server with its SSE stream.
export {
  overlayFromStatus,
  type RecordedCheck,
  type RecordedVerify,
  verifyResults,
} from './overlay.js';
export {
  type Picture,
  type PictureOptions,
  type PictureSource,
  pictureOf,
  readVerify,
} from './picture.js';
