import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { invalidInput } from './partner-errors.js';

/**
 * Where webhooks may point. Loopback, private, link-local and other non-public addresses are
 * refused (unless WEBHOOK_ALLOW_PRIVATE=1) after DNS resolution, at registration and again on
 * every delivery (the connection uses the checked address), so a name cannot be re-pointed
 * at an internal service later.
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return PRIVATE.check(mapped, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
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
