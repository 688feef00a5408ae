import 'reflect-metadata';
import { registerEnumType } from 'type-graphql';
import { allProviders } from '../sources/registry.js';

/**
 * The GraphQL enum ProviderKey: each registered provider's GraphQL name (`ROTTEN_TOMATOES`) mapped
 * to its key as stored in the database (`rottentomatoes`). Derived from the provider registry when
 * the schema is built (syncProviderKeyEnum), so a provider registered before that is in it.
 */
export const ProviderKey: Record<string, string> = {};
/** A provider key as stored in the database (the enum's internal value). */
export type ProviderKey = string;

const valuesConfig: Record<string, { description: string }> = {};

registerEnumType(ProviderKey, {
  name: 'ProviderKey',
  description: 'A data source MovieC aggregates movies and ratings from.',
  valuesConfig,
});

/** Fills the enum from the registry; type-graphql reads it when it builds the schema. */
export function syncProviderKeyEnum(): void {
  for (const name of Object.keys(ProviderKey)) delete ProviderKey[name];
  for (const name of Object.keys(valuesConfig)) delete valuesConfig[name];
  for (const { definition, graphql } of allProviders()) {
    ProviderKey[graphql.name] = definition.key;
    valuesConfig[graphql.name] = { description: graphql.description };
  }
}

syncProviderKeyEnum();
