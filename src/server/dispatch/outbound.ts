/**
 * Outbound requests to user-given URLs (webhooks, callbacks), guarded against SSRF:
 *  - http(s) only, no credentials in the URL;
 *  - the host is resolved first and every address it resolves to is checked against loopback,
 *    private, shared, link-local (incl. the 169.254.169.254 metadata address), multicast and
 *    reserved ranges, before any connection is made;
 *  - the request then goes through request-filtering-agent, which checks the address actually
 *    connected to again, so a DNS answer that changes between the check and the connect
 *    (rebinding) is refused too.
 * Loopback can be allowed by the operator (local receivers, tests); private ranges cannot.
 */
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';

export class OutboundRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefused';
  }
}

const BLOCKED_V4: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT (and cloud metadata such as 100.100.100.200)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata 169.254.169.254
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const BLOCKED_V6: Array<[string, number]> = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, …)
  ['fc00::', 7], // unique local (incl. fd00:ec2::254 metadata)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const blocked = new net.BlockList();
for (const [address, prefix] of BLOCKED_V4) blocked.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of BLOCKED_V6) blocked.addSubnet(address, prefix, 'ipv6');
const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** An IPv6 address that embeds an IPv4 one (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96) is judged by it. */
function embeddedV4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted?.[1]) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex?.[1] && hex[2]) {
    const hi = parseInt(hex[1], 16);
    const lo = parseInt(hex[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return null;
}

/** Why an address may not be contacted, or null when it may. */
export function addressProblem(address: string, allowLoopback: boolean): string | null {
  const v4 = net.isIPv4(address) ? address : embeddedV4(address);
  const family = v4 ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : null;
  const subject = v4 ?? address;
  if (!family) return `${address} is not an IP address`;
  if (allowLoopback && loopback.check(subject, family)) return null;
  if (blocked.check(subject, family)) {
    return `${address} is a loopback, private, link-local, metadata or reserved address`;
  }
  return null;
}

export interface OutboundOptions {
  allowLoopback: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
  /** DNS lookup, replaceable in tests. */
  resolve?: (host: string) => Promise<string[]>;
}

async function defaultResolve(host: string): Promise<string[]> {
  const answers = await lookup(host, { all: true, verbatim: true });
  return answers.map((a) => a.address);
}

/** Parses and checks a URL and every address its host resolves to; throws OutboundRefused. */
export async function checkOutboundUrl(raw: string, options: Pick<OutboundOptions, 'allowLoopback' | 'resolve'>): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefused(`not a valid URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundRefused(`only http(s) URLs are allowed, not ${url.protocol}`);
  if (url.username || url.password) throw new OutboundRefused('URLs with credentials are not allowed');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  if (net.isIP(host)) addresses = [host];
  else {
    try {
      addresses = await (options.resolve ?? defaultResolve)(host);
    } catch (error) {
      // Not a refusal: DNS may recover, so the caller retries.
      throw new Error(`cannot resolve ${host}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (addresses.length === 0) throw new Error(`cannot resolve ${host}`);
  for (const address of addresses) {
    const problem = addressProblem(address, options.allowLoopback);
    if (problem) throw new OutboundRefused(`refused ${url.origin}: ${problem}`);
  }
  return url;
}

export interface OutboundResponse {
  status: number;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/** POSTs a JSON body after checking the URL; resolves with the status (any), rejects on network errors. */
export async function postJson(raw: string, body: string, headers: Record<string, string>, options: OutboundOptions): Promise<OutboundResponse> {
  const url = await checkOutboundUrl(raw, options);
  const filter = {
    allowPrivateIPAddress: false,
    allowIPAddressList: options.allowLoopback ? ['127.0.0.0/8', '::1'] : [],
    keepAlive: false,
  };
  const agent = url.protocol === 'https:' ? new RequestFilteringHttpsAgent(filter) : new RequestFilteringHttpAgent(filter);
  const transport = url.protocol === 'https:' ? https : http;
  try {
    return await new Promise<OutboundResponse>((resolve, reject) => {
      let stopped: Error | null = null;
      const stop = (error: Error) => {
        stopped ??= error;
        request.destroy(error);
      };
      const request = transport.request(
        url,
        {
          method: 'POST',
          agent,
          timeout: options.timeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
          headers: {
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
            'user-agent': 'Cadence-Dispatcher/1',
            ...headers,
          },
        },
        (response) => {
          let seen = 0;
          let complete = false;
          response.on('data', (chunk: Buffer) => {
            seen += chunk.length;
            // The answer is not needed beyond its status; do not let a receiver stream forever.
            if (seen > MAX_RESPONSE_BYTES) {
              complete = true;
              response.destroy();
            }
          });
          response.on('end', () => {
            complete = true;
            resolve({ status: response.statusCode ?? 0 });
          });
          response.on('close', () => {
            if (complete) resolve({ status: response.statusCode ?? 0 });
            else reject(stopped ?? new Error('the answer was cut off'));
          });
          response.on('error', (error) => reject(stopped ?? error));
        },
      );
      request.on('timeout', () => stop(new Error(`no answer within ${options.timeoutMs} ms`)));
      // `timeout` is per idle socket; a receiver that trickles bytes is cut at the same bound overall.
      const hardStop = setTimeout(() => stop(new Error(`no complete answer within ${options.timeoutMs} ms`)), options.timeoutMs);
      request.on('close', () => clearTimeout(hardStop));
      request.on('error', (error) => {
        // The agent's connect-time check (DNS rebinding) reports like a network error.
        if (/is not allowed/.test(error.message)) reject(new OutboundRefused(`refused ${url.origin}: ${error.message}`));
        else reject(stopped ?? error);
      });
      request.end(body);
    });
  } finally {
    agent.destroy();
  }
}

/**
 * What can be said about a URL an account registers, before any DNS lookup: https, or http to
 * loopback where the operator allows loopback; an IP literal must be allowed. The full check
 * (every resolved address) still runs before each delivery.
 */
export function registrationProblem(raw: string, allowLoopback: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a valid URL';
  }
  if (url.username || url.password) return 'a URL may not carry credentials';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const isLoopbackName = host === 'localhost' || host.endsWith('.localhost');
  const literal = net.isIP(host) ? host : null;
  const loopbackHost = isLoopbackName || (literal !== null && addressProblem(literal, true) === null && addressProblem(literal, false) !== null);
  if (url.protocol === 'http:') {
    if (!allowLoopback) return 'must be an https URL';
    if (!loopbackHost) return 'must be an https URL (plain http only to a loopback address)';
    return null;
  }
  if (url.protocol !== 'https:') return 'must be an https URL';
  if (isLoopbackName && !allowLoopback) return 'localhost is not allowed';
  if (literal) return addressProblem(literal, allowLoopback);
  return null;
}
