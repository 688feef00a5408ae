import { namedAsDelta, PARTIAL, SNAPSHOT_KEY } from '../sources/snapshot.js';
import { allProviders } from '../sources/registry.js';
import type { InboxEntry, ProviderKey, SourceAdapter, SourceLocation } from '../sources/types.js';

export type { InboxEntry } from '../sources/types.js';

/**
 * What a dropped file or folder is, by its name, its first line, or (a folder) the files in it:
 * the provider key, or `<key>-<role>` for a part of a provider's multi-file import (`imdb-basics`).
 * Each provider's recogniser is in its module (`inbox`); the registry lists them.
 */
export type InboxKind = string;

export interface PlannedImport<E extends InboxEntry = InboxEntry> {
  provider: ProviderKey;
  /** The entries of the import, by the location key of the provider's adapter. */
  parts: { role: string; entry: E }[];
}

export interface Recognition<E extends InboxEntry = InboxEntry> {
  imports: PlannedImport<E>[];
  /** Recognised but incomplete: one part of a multi-file import whose partner has not arrived. */
  waiting: { entry: E; reason: string }[];
  unrecognised: { entry: E; reason: string }[];
}

/** Names whose first line is worth reading to recognise them. */
export const SNIFFABLE_NAME = /\.(csv|tsv|txt)(\.gz)?$/i;

const recognisers = () => allProviders().filter((p): p is SourceAdapter & Required<Pick<SourceAdapter, 'inbox'>> => Boolean(p.inbox));

/** The provider whose recogniser claims the entry first, with the role (location key) it fills. */
function claim(entry: InboxEntry): { provider: SourceAdapter & Required<Pick<SourceAdapter, 'inbox'>>; role: string } | null {
  for (const provider of recognisers()) {
    const role = provider.inbox.role(entry);
    if (role) return { provider, role };
  }
  return null;
}

export function kindOf(entry: InboxEntry): InboxKind | null {
  const claimed = claim(entry);
  if (!claimed) return null;
  return claimed.provider.inbox.parts ? `${claimed.provider.definition.key}-${claimed.role}` : claimed.provider.definition.key;
}

/** "neither A, B, nor C" / "neither A nor B" / "not A". */
function neither(items: string[]): string {
  if (items.length <= 1) return `not ${items[0] ?? 'a provider file'}`;
  if (items.length === 2) return `neither ${items[0]} nor ${items[1]}`;
  return `neither ${items.slice(0, -1).join(', ')}, nor ${items.at(-1)}`;
}

/**
 * Groups stable inbox entries into imports: an entry a single-part provider recognises is one
 * import; the parts of a multi-file provider (IMDb title.basics + title.ratings) are paired by
 * their pair key (the name), or, for parts recognised by their first line only, when exactly one
 * of each role is left.
 */
export function recognise<E extends InboxEntry>(entries: E[]): Recognition<E> {
  const result: Recognition<E> = { imports: [], waiting: [], unrecognised: [] };
  type Parts = Map<string, E>;
  const groups = new Map<string, { provider: string; roles: string[]; byKey: Map<string, Parts>; loose: Map<string, E[]> }>();
  for (const entry of entries) {
    const claimed = claim(entry);
    if (!claimed) {
      result.unrecognised.push({ entry, reason: unrecognisedReason(entry) });
      continue;
    }
    const { provider, role } = claimed;
    const key = provider.definition.key;
    const multi = provider.inbox.parts;
    if (!multi) {
      result.imports.push({ provider: key, parts: [{ role, entry }] });
      continue;
    }
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { provider: key, roles: multi.roles, byKey: new Map(), loose: new Map() }));
    const pairKey = multi.pairKey(entry);
    if (pairKey === null) {
      group.loose.set(role, [...(group.loose.get(role) ?? []), entry]);
      continue;
    }
    const parts = group.byKey.get(pairKey) ?? new Map<string, E>();
    if (parts.has(role)) result.unrecognised.push({ entry, reason: `a second ${provider.definition.name} ${role} file for the same pair` });
    else parts.set(role, entry);
    group.byKey.set(pairKey, parts);
  }
  for (const group of groups.values()) {
    const provider = recognisers().find((p) => p.definition.key === group.provider)!;
    const complete = (parts: Parts) => group.roles.every((role) => parts.has(role));
    const toImport = (parts: Parts): PlannedImport<E> => ({
      provider: group.provider, parts: group.roles.map((role) => ({ role, entry: parts.get(role)! })),
    });
    for (const parts of group.byKey.values()) {
      if (complete(parts)) result.imports.push(toImport(parts));
      else for (const [role, entry] of parts) group.loose.set(role, [...(group.loose.get(role) ?? []), entry]);
    }
    if (group.roles.every((role) => group.loose.get(role)?.length === 1)) {
      result.imports.push(toImport(new Map(group.roles.map((role) => [role, group.loose.get(role)![0]!]))));
      continue;
    }
    for (const role of group.roles) {
      const missing = group.roles.find((r) => r !== role && !group.loose.get(r)?.length) ?? group.roles.find((r) => r !== role)!;
      for (const entry of group.loose.get(role) ?? []) {
        result.waiting.push({ entry, reason: `waiting for ${provider.inbox.parts!.waitingFor[missing] ?? `its ${missing} file`}` });
      }
    }
  }
  return result;
}

function unrecognisedReason(entry: InboxEntry): string {
  if (entry.isDirectory) {
    const holds = recognisers().map((p) => p.inbox.folderHolds).filter((h): h is string => Boolean(h));
    return `a folder without ${holds.join(' or ') || 'provider files'}`;
  }
  return neither(recognisers().map((p) => p.inbox.describe));
}

/** The adapter location of an import whose parts now live at the given paths. */
export function locationOf(plan: PlannedImport, pathOf: (entry: InboxEntry) => string): SourceLocation {
  const location: SourceLocation = Object.fromEntries(plan.parts.map(({ role, entry }) => [role, pathOf(entry)]));
  // A file named as a delta (`title.ratings.delta.tsv`) is not the whole catalogue: it withdraws nothing.
  if (plan.parts.some(({ entry }) => namedAsDelta(entry.name))) location[SNAPSHOT_KEY] = PARTIAL;
  return location;
}
