import { readFile } from 'node:fs/promises';
import internals from '@prisma/internals';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

// Prisma scalar type -> PostgreSQL types a column of that field may have.
const COMPATIBLE: Record<string, string[]> = {
  String: ['text', 'character varying', 'uuid'],
  Int: ['integer', 'int4'], // int4: the element type of an integer[] column
  BigInt: ['bigint'],
  Float: ['double precision'],
  Boolean: ['boolean'],
  DateTime: ['timestamp with time zone', 'timestamp without time zone', 'date'],
  Json: ['jsonb', 'json'],
};
const NATIVE: Record<string, string> = { Uuid: 'uuid', Date: 'date', Timestamptz: 'timestamp with time zone' };

interface Column {
  table_name: string;
  column_name: string;
  data_type: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
}

describe('schema.prisma and the migrated database', () => {
  let db: TestDatabase;
  let columns: Column[];
  let models: Awaited<ReturnType<typeof internals.getDMMF>>['datamodel']['models'];

  beforeAll(async () => {
    db = await createTestDatabase();
    const datamodel = await readFile(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8');
    models = (await internals.getDMMF({ datamodel })).datamodel.models;
    columns = (
      await db.pool.query<Column>(
        `SELECT table_name, column_name, data_type, udt_name, is_nullable
           FROM information_schema.columns WHERE table_schema = 'public'`,
      )
    ).rows;
  });
  afterAll(() => db.drop());

  it('has a column of a compatible type and nullability for every model field', () => {
    const problems: string[] = [];
    for (const model of models) {
      const table = model.dbName ?? model.name;
      for (const field of model.fields.filter((f) => f.kind !== 'object')) {
        const name = field.dbName ?? field.name;
        const column = columns.find((c) => c.table_name === table && c.column_name === name);
        if (!column) {
          problems.push(`${model.name}.${field.name}: no column ${table}.${name}`);
          continue;
        }
        const dataType = column.data_type === 'ARRAY' ? column.udt_name.replace(/^_/, '') : column.data_type;
        if (field.kind === 'enum') {
          if (column.udt_name !== field.type) problems.push(`${table}.${name} is ${column.udt_name}, expected enum ${field.type}`);
        } else {
          const native = field.nativeType ? NATIVE[field.nativeType[0]] : undefined;
          const allowed = native ? [native] : (COMPATIBLE[field.type] ?? []);
          const normalised = dataType === 'text' && field.isList ? 'text' : dataType;
          if (!allowed.includes(normalised)) problems.push(`${table}.${name} is ${dataType}, ${field.type} expects ${allowed.join(' or ')}`);
        }
        if (field.isList !== (column.data_type === 'ARRAY')) problems.push(`${table}.${name}: list mismatch`);
        const nullable = column.is_nullable === 'YES';
        if (!field.isList && field.isRequired === nullable) {
          problems.push(`${table}.${name} is ${nullable ? 'nullable' : 'NOT NULL'} but the field is ${field.isRequired ? 'required' : 'optional'}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('has a model for every table and no column the models do not know', () => {
    const known = new Map(models.map((m) => [m.dbName ?? m.name, m]));
    const tables = [...new Set(columns.map((c) => c.table_name))].filter((t) => t !== '_prisma_migrations');
    expect(tables.filter((t) => !known.has(t))).toEqual([]);
    const extra = columns
      .filter((c) => known.has(c.table_name))
      .filter((c) => !known.get(c.table_name)!.fields.some((f) => (f.dbName ?? f.name) === c.column_name))
      .map((c) => `${c.table_name}.${c.column_name}`);
    expect(extra).toEqual([]);
  });

  it('records each migration with Prisma checksum bookkeeping', async () => {
    const { rows } = await db.pool.query(
      `SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).not.toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });
});
