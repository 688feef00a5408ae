import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ProviderDefinitionError, UnknownProviderError } from '../errors.js';
import { imdbAdapter } from './imdb.js';
import { movieLensAdapter } from './movielens.js';
import { rottenTomatoesAdapter } from './rottentomatoes.js';
import { tmdbAdapter } from './tmdb.js';
import type { ProviderDefinition, SourceAdapter } from './types.js';

/**
 * The provider registry: every provider MovieC can import from, each defined by one module. The
 * GraphQL enum, the `moviec import` commands, the configuration variables and schedules, the inbox
 * and the scoring rules are all derived from it, and the database's `providers` rows are written
 * from it at start (src/db/reference-data.ts). Built-in providers are registered here; others are
 * modules named by MOVIEC_PROVIDER_MODULES (loaded by loadProviderModules before anything else).
 *
 * Adding a provider: write its module (a SourceAdapter: see src/sources/types.ts), then list it in
 * BUILT_IN below, or name it in MOVIEC_PROVIDER_MODULES. Nothing else changes.
 */
const BUILT_IN: SourceAdapter[] = [imdbAdapter, tmdbAdapter, rottenTomatoesAdapter, movieLensAdapter];

const providers = new Map<string, SourceAdapter>();

/** A provider name as the registry compares it: lower case, letters and digits only (`Rotten_Tomatoes` -> `rottentomatoes`). */
export function squashProviderName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Adds a provider; its facts are checked first. Registering the same module twice is harmless. */
export function registerProvider(adapter: SourceAdapter): void {
  const { definition, graphql } = adapter;
  const problems: string[] = [];
  const key = definition?.key;
  if (typeof key !== 'string' || !/^[a-z][a-z0-9]{0,39}$/.test(key)) problems.push('its key must be 1-40 lower-case letters and digits');
  if (!definition?.name) problems.push('it needs a display name');
  if (!graphql || !/^[A-Z][A-Z0-9_]{0,59}$/.test(graphql.name) || squashProviderName(graphql.name) !== key) {
    problems.push(`its GraphQL name must be its key in upper case, words joined by "_" (e.g. ${String(key).toUpperCase()})`);
  }
  if (!adapter.cli?.description) problems.push('it needs a CLI description');
  if (typeof adapter.read !== 'function' || typeof adapter.checkLocation !== 'function') problems.push('it needs read() and checkLocation()');
  if (!definition?.ratingScales || Object.values(definition.ratingScales).some((s) => !(s.max > s.min))) {
    problems.push('each rating scale needs max > min');
  }
  for (const variable of Object.keys(adapter.settings ?? {})) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(variable)) problems.push(`setting ${variable} must be an upper-case variable name`);
  }
  if (problems.length) throw new ProviderDefinitionError(`Provider ${JSON.stringify(key)} is not valid: ${problems.join('; ')}`);
  const existing = providers.get(key);
  if (existing === adapter) return;
  if (existing) throw new ProviderDefinitionError(`Provider "${key}" is registered twice`);
  providers.set(key, adapter);
}

for (const adapter of BUILT_IN) registerProvider(adapter);

/** Every registered provider, built-in ones first, in registration order. */
export function allProviders(): SourceAdapter[] {
  return [...providers.values()];
}

export function providerDefinitions(): ProviderDefinition[] {
  return allProviders().map((p) => p.definition);
}

/**
 * The provider a name means, in any spelling: its key or GraphQL name, in any case, with or
 * without `_`/`-`/spaces (`rottentomatoes`, `ROTTEN_TOMATOES`, `Rotten-Tomatoes`); undefined if none.
 */
export function findProvider(name: string): SourceAdapter | undefined {
  return providers.get(squashProviderName(name));
}

/** The provider a name means (see findProvider); UnknownProviderError otherwise. */
export function getAdapter(name: string): SourceAdapter {
  const adapter = findProvider(name);
  if (!adapter) throw new UnknownProviderError(name, [...providers.keys()]);
  return adapter;
}

export function getDefinition(name: string): ProviderDefinition {
  return getAdapter(name).definition;
}

/** The key a provider name means, in any spelling; UnknownProviderError otherwise. */
export function providerKeyOf(name: string): string {
  return getAdapter(name).definition.key;
}

/**
 * Loads provider modules (MOVIEC_PROVIDER_MODULES: paths, relative to the working directory) and
 * registers what each exports as `default` or `provider`. Call before the configuration is read and
 * the CLI or schema is built: they are derived from the registry.
 */
export async function loadProviderModules(paths: readonly string[]): Promise<SourceAdapter[]> {
  const loaded: SourceAdapter[] = [];
  for (const file of paths) {
    let module: { default?: unknown; provider?: unknown };
    try {
      module = (await import(pathToFileURL(path.resolve(file)).href)) as typeof module;
    } catch (error) {
      throw new ProviderDefinitionError(`Provider module ${file} could not be loaded: ${(error as Error).message}`);
    }
    const adapter = (module.provider ?? module.default) as SourceAdapter | undefined;
    if (!adapter || typeof adapter !== 'object') {
      throw new ProviderDefinitionError(`Provider module ${file} exports no provider (export it as \`provider\` or \`default\`)`);
    }
    registerProvider(adapter);
    loaded.push(adapter);
  }
  return loaded;
}
