/**
 * Which IPC senders the main process answers: only the main frame of our own window, showing
 * our own page. A frame from elsewhere (an iframe, a navigated page) gets nothing.
 */
export interface SenderFrameLike {
  url: string;
  /** null for a top-level frame. */
  parent: unknown | null;
}

export interface SenderCheck {
  senderWebContentsId: number;
  senderFrame: SenderFrameLike | null;
  trustedWebContentsId: number | null;
  /** The renderer's origin in dev (http://localhost:5173) or null for the packaged file:// page. */
  appOrigin: string | null;
  appIndexPath: string | null;
}

export function isTrustedSender(check: SenderCheck): boolean {
  const frame = check.senderFrame;
  if (!frame || frame.parent !== null) return false;
  if (check.trustedWebContentsId === null || check.senderWebContentsId !== check.trustedWebContentsId) return false;
  let url: URL;
  try {
    url = new URL(frame.url);
  } catch {
    return false;
  }
  if (check.appOrigin !== null) return url.origin === check.appOrigin;
  return url.protocol === 'file:' && check.appIndexPath !== null && decodeURIComponent(url.pathname) === check.appIndexPath;
}
