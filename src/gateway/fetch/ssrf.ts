import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * SSRF protection for source fetching. A URL a model proposed could point at the machine fano runs
 * on (loopback), the local network (private ranges) or cloud metadata (link-local 169.254.x): those
 * are refused unless the config allows them. The check runs on the addresses DNS actually returns,
 * at connect time (a custom `lookup`), so a name that resolves to a private address, or a redirect
 * to one, is caught too, not only literal IPs in the URL.
 */

export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKEDADDRESS';
}

/** Only globally routable unicast addresses pass (IPv4-mapped IPv6 is judged as IPv4). */
export function isPublicAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  return ipaddr.process(ip).range() === 'unicast';
}

/** Throws when a literal IP host is not allowed (Node skips `lookup` for literal IPs). */
export function checkLiteralHost(hostname: string, allowPrivate: boolean): void {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0 && !allowPrivate && !isPublicAddress(host)) throw new BlockedAddressError(`refusing to fetch from non-public address ${host}`);
}

/** A `lookup` for http.request that refuses non-public addresses unless allowed. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, cb) => {
    dnsLookup(hostname, { family: typeof options.family === 'number' ? options.family : 0, all: true }, (err, addrs) => {
      if (err) return cb(err, []);
      const bad = allowPrivate ? undefined : addrs.find((a) => !isPublicAddress(a.address));
      if (bad) return cb(new BlockedAddressError(`refusing to fetch ${hostname}: it resolves to non-public address ${bad.address}`), []);
      if (addrs.length === 0) return cb(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      if (options.all) cb(null, addrs);
      else cb(null, addrs[0]!.address, addrs[0]!.family);
    });
  };
}
