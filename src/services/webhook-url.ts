import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { invalidInput } from './partner-errors.js';

/**
 * Where webhooks may point. Loopback, private, link-local and other non-public addresses are
 * refused (unless WEBHOOK_ALLOW_PRIVATE=1) after DNS resolution, at registration and again on
 * every delivery (the connection uses the checked address), so a name cannot be re-pointed
 * at an internal service later. The poster mirror (src/assets/download.ts) uses the same check.
 *
 * Special-purpose ranges follow the IANA registries (RFC 6890 and later). An IPv4-mapped address
 * (`::ffff:a.b.c.d`, in any spelling: `::ffff:7f00:1`) is judged as its IPv4 address, a 6to4 one
 * (`2002:AABB:CCDD::/48`) by the IPv4 address it embeds as well; the deprecated IPv4-compatible
 * (`::/96`) and IPv4-translated (`::ffff:0:0:0/96`) blocks, NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`)
 * and Teredo (`2001::/32`, whose client address is hidden) are refused whole.
 */
const PRIVATE_V4 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE_V4.addSubnet(net, prefix, 'ipv4');
const PRIVATE_V6 = new BlockList();
for (const [net, prefix] of [
  ['::', 96], ['::ffff:0:0:0', 96], // unspecified, loopback, IPv4-compatible; IPv4-translated
  ['64:ff9b::', 96], ['64:ff9b:1::', 48], // NAT64
  ['100::', 64], // discard-only
  ['2001::', 32], ['2001:2::', 48], ['2001:10::', 28], ['2001:20::', 28], // Teredo, benchmarking, ORCHID
  ['2001:db8::', 32], ['3fff::', 20], // documentation
  ['5f00::', 16], // SRv6 SIDs
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], // unique local, link-local, site-local, multicast
] as const) PRIVATE_V6.addSubnet(net, prefix, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE_V4.check(address, 'ipv4');
  // Not an address, or one with a zone (fe80::1%eth0): only meaningful on a local link.
  if (family !== 6 || address.includes('%')) return true;
  const groups = ipv6Groups(address);
  const v4 = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  // IPv4-mapped: a connection to it is a connection to the IPv4 address, which alone decides.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return PRIVATE_V4.check(v4(groups[6]!, groups[7]!), 'ipv4');
  // 6to4: the relay delivers to the IPv4 address in bits 16-47.
  if (groups[0] === 0x2002 && PRIVATE_V4.check(v4(groups[1]!, groups[2]!), 'ipv4')) return true;
  return PRIVATE_V6.check(address, 'ipv6');
}

/** The eight 16-bit groups of a valid IPv6 address (a dotted IPv4 tail counts as two). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const before = parse(head);
  if (tail === undefined) return before;
  const after = parse(tail);
  return [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
}

export interface UrlPolicy {
  allowPrivate: boolean;
  requireHttps: boolean;
}

const MAX_URL_LENGTH = 2048;

/** Checks a webhook URL's form and where its host resolves; throws BAD_USER_INPUT with the reason. */
export async function validateWebhookUrl(raw: string, policy: UrlPolicy): Promise<URL> {
  if (raw.length > MAX_URL_LENGTH) throw invalidInput(`The URL is longer than ${MAX_URL_LENGTH} characters`, 'url');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidInput('The URL is not a valid absolute URL', 'url');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !policy.requireHttps)) {
    throw invalidInput(policy.requireHttps ? 'Webhook URLs must use https' : 'Webhook URLs must use http or https', 'url');
  }
  if (url.username || url.password) throw invalidInput('Webhook URLs may not carry credentials: use the signature to authenticate deliveries', 'url');
  if (policy.allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await resolveAll(host)).map((a) => a.address);
  } catch {
    throw invalidInput(`The host ${host} does not resolve`, 'url');
  }
  if (addresses.some(isPrivateAddress)) {
    throw invalidInput(`The host ${host} resolves to a loopback or private address, which webhooks may not use`, 'url');
  }
  return url;
}

function resolveAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A dns.lookup for the HTTP client that refuses private addresses: the address checked is the
 * address connected to.
 */
export function publicOnlyLookup(hostname: string, options: object, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused) {
      const denied: NodeJS.ErrnoException = new Error(`${hostname} resolves to ${refused.address}, a loopback or private address`);
      denied.code = 'EPRIVATEADDRESS';
      return callback(denied, []);
    }
    if ((options as { all?: boolean }).all) return callback(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
}
