import { TOKEN_PARAM, WS_PATH } from '../../protocol/index.ts';

/** Where the page finds its agent: the WebSocket address, token included. */
export interface AgentAddress {
  readonly url: string;
  /** The agent's host, for the title and the status bar. */
  readonly host: string;
}

/** The part of `window.location` the address is read from. */
export interface PageLocation {
  readonly protocol: string;
  readonly host: string;
  readonly search: string;
}

/**
 * The agent a page talks to. The agent's web server serves the UI from the same host and port
 * as its WebSocket, and the printed address carries the token (`/?token=…`), so the socket is
 * `ws://<same host>/ws?token=…`. An `agent=ws://…` parameter names another agent (used by the
 * shell's file-loaded connect screen). Without a token there is nothing to attach to: null.
 */
export function agentAddress(location: PageLocation): AgentAddress | null {
  const params = new URLSearchParams(location.search);
  const token = params.get(TOKEN_PARAM);
  const explicit = params.get('agent');
  if (explicit !== null && explicit !== '') {
    const url = new URL(explicit);
    if (token !== null && !url.searchParams.has(TOKEN_PARAM)) {
      url.searchParams.set(TOKEN_PARAM, token);
    }
    return { url: url.href, host: url.host };
  }
  if (token === null || token === '' || location.host === '') return null;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = new URL(`${scheme}//${location.host}${WS_PATH}`);
  url.searchParams.set(TOKEN_PARAM, token);
  return { url: url.href, host: location.host };
}
