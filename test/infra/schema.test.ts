// Proves prisma/schema.prisma and the SQL in prisma/migrations describe the same database,
// since no Prisma tool can diff them here (the schema engine cannot be downloaded). The
// schema is read with the small parser below; the database is the migrations applied to a
// fresh PostgreSQL database and read back from pg_catalog.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { applyMigrations } from '../../src/infra/migrate.js';
import { createFreshDatabase, MIGRATIONS_DIRECTORY, withClient } from './fresh-database.js';

const SCHEMA_PATH = fileURLToPath(new URL('../../prisma/schema.prisma', import.meta.url));
/** PostgreSQL truncates identifiers longer than this, and Prisma then shortens its names. */
const IDENTIFIER_LENGTH_MAX = 63;

// ---------------------------------------------------------------------------------------
// schema.prisma, parsed

interface Attribute {
  name: string; // "id", "db.Char", "map", "index" (block attributes lose their second "@")
  args: string[]; // top-level arguments as written, e.g. ['[orgId, key]', 'map: "x"']
}

interface ScalarField {
  name: string;
  column: string;
  type: string;
  optional: boolean;
  list: boolean;
  native?: { name: string; args: string[] };
  id: boolean;
  idMap?: string;
  unique: boolean;
  uniqueMap?: string;
  default?: string;
}

interface Relation {
  field: string;
  target: string;
  fields: string[];
  references: string[];
  onDelete?: string;
  onUpdate?: string;
  map?: string;
}

interface KeyDeclaration {
  fields: string[];
  map?: string;
}

interface Model {
  name: string;
  table: string;
  scalars: ScalarField[];
  relations: Relation[];
  primaryKey?: KeyDeclaration;
  uniques: KeyDeclaration[];
  indexes: KeyDeclaration[];
}

interface RawField {
  name: string;
  type: string;
  optional: boolean;
  list: boolean;
  attributes: Attribute[];
}

interface RawBlock {
  kind: string;
  name: string;
  fields: RawField[];
  attributes: Attribute[];
}

/** Drops a `//` comment, leaving `//` inside a string literal alone. */
function stripComment(line: string): string {
  let quoted = false;
  for (let index = 0; index < line.length; index++) {
    const char = line[index];
    if (char === '\\' && quoted) index++;
    else if (char === '"') quoted = !quoted;
    else if (!quoted && char === '/' && line[index + 1] === '/') return line.slice(0, index);
  }
  return line;
}

/** Index of the bracket closing the one at `open`, skipping string literals. */
function closingBracket(text: string, open: number): number {
  let depth = 0;
  let quoted = false;
  for (let index = open; index < text.length; index++) {
    const char = text[index];
    if (char === '\\' && quoted) index++;
    else if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '(' || char === '[')) depth++;
    else if (!quoted && (char === ')' || char === ']') && --depth === 0) return index;
  }
  throw new Error(`unbalanced brackets in "${text}"`);
}

/** Splits on commas that are outside brackets and string literals. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '\\' && quoted) index++;
    else if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '(' || char === '[')) depth++;
    else if (!quoted && (char === ')' || char === ']')) depth--;
    else if (!quoted && depth === 0 && char === ',') {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

function parseAttributes(text: string): Attribute[] {
  const attributes: Attribute[] = [];
  let index = 0;
  while (index < text.length) {
    if (/\s/.test(text[index]!)) {
      index++;
      continue;
    }
    const match = /^@@?([A-Za-z_][\w.]*)/.exec(text.slice(index));
    if (!match) throw new Error(`cannot parse attributes at "${text.slice(index)}"`);
    index += match[0].length;
    let args: string[] = [];
    if (text[index] === '(') {
      const end = closingBracket(text, index);
      args = splitTopLevel(text.slice(index + 1, end));
      index = end + 1;
    }
    attributes.push({ name: match[1]!, args });
  }
  return attributes;
}

function parseBlocks(schema: string): RawBlock[] {
  const blocks: RawBlock[] = [];
  let current: RawBlock | undefined;
  for (const [lineIndex, rawLine] of schema.split('\n').entries()) {
    const line = stripComment(rawLine).trim();
    if (line === '') continue;
    if (!current) {
      const start = /^(\w+)\s+(\w+)\s*\{$/.exec(line);
      if (start) current = { kind: start[1]!, name: start[2]!, fields: [], attributes: [] };
      continue;
    }
    if (line === '}') {
      blocks.push(current);
      current = undefined;
    } else if (current.kind !== 'model') {
      continue; // enum values, generator and datasource settings
    } else if (line.startsWith('@@')) {
      current.attributes.push(...parseAttributes(line));
    } else {
      const field = /^(\w+)\s+(\w+)(\[\])?(\?)?(?:\s+(.*))?$/.exec(line);
      if (!field) throw new Error(`schema.prisma line ${lineIndex + 1}: cannot parse "${line}"`);
      current.fields.push({
        name: field[1]!,
        type: field[2]!,
        list: field[3] !== undefined,
        optional: field[4] !== undefined,
        attributes: parseAttributes(field[5] ?? ''),
      });
    }
  }
  if (current) throw new Error(`schema.prisma: block ${current.name} is not closed`);
  return blocks;
}

function namedArgument(attribute: Attribute | undefined, key: string): string | undefined {
  const pattern = new RegExp(`^${key}\\s*:\\s*`);
  const found = attribute?.args.find((arg) => pattern.test(arg));
  return found?.replace(pattern, '');
}

function positionalArgument(attribute: Attribute | undefined): string | undefined {
  return attribute?.args.find((arg) => !/^\w+\s*:/.test(arg));
}

function parseString(literal: string | undefined): string | undefined {
  return literal === undefined ? undefined : (JSON.parse(literal) as string);
}

/** `[a, b(sort: Desc)]` → ['a', 'b'] */
function parseFieldList(literal: string | undefined): string[] {
  if (literal === undefined) return [];
  if (!literal.startsWith('[') || !literal.endsWith(']')) throw new Error(`not a list: ${literal}`);
  return splitTopLevel(literal.slice(1, -1)).map((item) => item.replace(/\(.*\)$/s, '').trim());
}

function keyDeclaration(attribute: Attribute): KeyDeclaration {
  return {
    fields: parseFieldList(namedArgument(attribute, 'fields') ?? positionalArgument(attribute)),
    map: parseString(namedArgument(attribute, 'map')),
  };
}

function toScalar(field: RawField): ScalarField {
  const find = (name: string) => field.attributes.find((attribute) => attribute.name === name);
  const nativeAttribute = field.attributes.find((attribute) => attribute.name.startsWith('db.'));
  return {
    name: field.name,
    column: parseString(positionalArgument(find('map'))) ?? field.name,
    type: field.type,
    optional: field.optional,
    list: field.list,
    native: nativeAttribute && { name: nativeAttribute.name.slice(3), args: nativeAttribute.args },
    id: find('id') !== undefined,
    idMap: parseString(namedArgument(find('id'), 'map')),
    unique: find('unique') !== undefined,
    uniqueMap: parseString(namedArgument(find('unique'), 'map')),
    default: positionalArgument(find('default')),
  };
}

function toRelation(field: RawField): Relation | undefined {
  const relation = field.attributes.find((attribute) => attribute.name === 'relation');
  const fields = parseFieldList(namedArgument(relation, 'fields'));
  if (fields.length === 0) return undefined; // the back-reference side holds no column
  return {
    field: field.name,
    target: field.type,
    fields,
    references: parseFieldList(namedArgument(relation, 'references')),
    onDelete: namedArgument(relation, 'onDelete'),
    onUpdate: namedArgument(relation, 'onUpdate'),
    map: parseString(namedArgument(relation, 'map')),
  };
}

function toModel(block: RawBlock, modelNames: Set<string>): Model {
  const blockAttributes = (name: string) => block.attributes.filter((a) => a.name === name);
  const mapAttribute = blockAttributes('map')[0];
  const idAttribute = blockAttributes('id')[0];
  const relations: Relation[] = [];
  const scalars: ScalarField[] = [];
  for (const field of block.fields) {
    if (!modelNames.has(field.type)) scalars.push(toScalar(field));
    else {
      const relation = toRelation(field);
      if (relation) relations.push(relation);
    }
  }
  return {
    name: block.name,
    table: parseString(positionalArgument(mapAttribute)) ?? block.name,
    scalars,
    relations,
    primaryKey: idAttribute && keyDeclaration(idAttribute),
    uniques: blockAttributes('unique').map(keyDeclaration),
    indexes: blockAttributes('index').map(keyDeclaration),
  };
}

function parseSchema(schema: string): Model[] {
  const blocks = parseBlocks(schema).filter((block) => block.kind === 'model');
  const modelNames = new Set(blocks.map((block) => block.name));
  return blocks.map((block) => toModel(block, modelNames));
}

// ---------------------------------------------------------------------------------------
// What PostgreSQL type Prisma creates for a field, spelled as format_type() prints it

const DEFAULT_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Decimal: 'numeric(65,30)',
  Float: 'double precision',
  Json: 'jsonb',
  Bytes: 'bytea',
};

function nativeType(name: string, args: string[]): string | undefined {
  const [first, second] = args;
  const withPrecision = (base: string, suffix = '') =>
    first === undefined ? `${base}${suffix}` : `${base}(${first})${suffix}`;
  switch (name) {
    case 'Text':
      return 'text';
    case 'Uuid':
      return 'uuid';
    case 'Char':
      return `character(${first ?? 1})`;
    case 'VarChar':
      return withPrecision('character varying');
    case 'SmallInt':
      return 'smallint';
    case 'Integer':
      return 'integer';
    case 'BigInt':
      return 'bigint';
    case 'Boolean':
      return 'boolean';
    case 'Timestamptz':
      return withPrecision('timestamp', ' with time zone');
    case 'Timestamp':
      return withPrecision('timestamp', ' without time zone');
    case 'Date':
      return 'date';
    case 'Decimal':
      return first !== undefined && second !== undefined
        ? `numeric(${first},${second})`
        : undefined;
    case 'DoublePrecision':
      return 'double precision';
    case 'Real':
      return 'real';
    case 'JsonB':
      return 'jsonb';
    case 'Json':
      return 'json';
    case 'ByteA':
      return 'bytea';
    default:
      return undefined;
  }
}

/** The expected type, or undefined when this test does not know the mapping (reported). */
function expectedType(field: ScalarField): string | undefined {
  const element = field.native
    ? nativeType(field.native.name, field.native.args)
    : DEFAULT_TYPES[field.type];
  return element && (field.list ? `${element}[]` : element);
}

/** Prisma's default constraint and index names (used unless `map:` names them). */
function defaultName(table: string, columns: string[], suffix: string): string | undefined {
  const name = [table, ...columns, suffix].join('_');
  return name.length <= IDENTIFIER_LENGTH_MAX ? name : undefined; // Prisma shortens these
}

// ---------------------------------------------------------------------------------------
// The database, read back from pg_catalog

interface CatalogColumn {
  table: string;
  column: string;
  type: string;
  notNull: boolean;
  default: string | null;
}

interface CatalogIndex {
  table: string;
  name: string;
  unique: boolean;
  primary: boolean;
  /** false for partial and expression indexes, which schema.prisma cannot declare */
  plain: boolean;
  columns: string[];
}

interface CatalogForeignKey {
  table: string;
  name: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: string;
  onUpdate: string;
}

interface Catalog {
  tables: string[];
  columns: CatalogColumn[];
  indexes: CatalogIndex[];
  foreignKeys: CatalogForeignKey[];
}

const REFERENTIAL_ACTIONS: Record<string, string> = {
  a: 'NoAction',
  r: 'Restrict',
  c: 'Cascade',
  n: 'SetNull',
  d: 'SetDefault',
};

async function readCatalog(client: pg.Client): Promise<Catalog> {
  const tables = await client.query<{ table: string }>(
    `SELECT table_name AS "table" FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const columns = await client.query<CatalogColumn>(
    `SELECT c.relname AS "table", a.attname AS "column", format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS "notNull", pg_get_expr(d.adbin, d.adrelid) AS "default"
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY 1, a.attnum`,
  );
  const indexes = await client.query<CatalogIndex>(
    `SELECT t.relname AS "table", i.relname AS name, x.indisunique AS unique, x.indisprimary AS primary,
            (x.indpred IS NULL AND x.indexprs IS NULL) AS plain,
            array(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, position)
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                   ORDER BY k.position)::text[] AS columns
       FROM pg_index x
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = 'public'
      ORDER BY 1, 2`,
  );
  const foreignKeys = await client.query<CatalogForeignKey>(
    `SELECT t.relname AS "table", c.conname AS name, r.relname AS "referencedTable",
            array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, position)
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                   ORDER BY k.position)::text[] AS columns,
            array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(attnum, position)
                    JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum
                   ORDER BY k.position)::text[] AS "referencedColumns",
            c.confdeltype AS "onDelete", c.confupdtype AS "onUpdate"
       FROM pg_constraint c
       JOIN pg_class t ON t.oid = c.conrelid
       JOIN pg_class r ON r.oid = c.confrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = 'public' AND c.contype = 'f'
      ORDER BY 1, 2`,
  );
  return {
    tables: tables.rows.map((row) => row.table),
    columns: columns.rows,
    indexes: indexes.rows,
    foreignKeys: foreignKeys.rows.map((row) => ({
      ...row,
      onDelete: REFERENTIAL_ACTIONS[row.onDelete] ?? row.onDelete,
      onUpdate: REFERENTIAL_ACTIONS[row.onUpdate] ?? row.onUpdate,
    })),
  };
}

// ---------------------------------------------------------------------------------------
// Comparison: every difference becomes one line naming the model, field and what differs

const list = (names: string[]) => `(${names.join(', ')})`;
const fieldList = (names: string[]) => `[${names.join(', ')}]`;
const sameList = (left: string[], right: string[]) => left.join('\0') === right.join('\0');
/** Defaults Prisma computes in the client; they leave no column default behind. */
const CLIENT_SIDE_DEFAULT = /^(uuid|cuid|nanoid|ulid)\(/;

function compareColumn(model: Model, field: ScalarField, column: CatalogColumn): string[] {
  const where = `${model.name}.${field.name} (${model.table}.${field.column})`;
  const problems: string[] = [];
  const type = expectedType(field);
  const prismaType = `${field.type}${field.list ? '[]' : ''}${field.native ? ` @db.${field.native.name}(${field.native.args.join(', ')})` : ''}`;
  if (type === undefined) {
    problems.push(
      `${where}: this test does not know the PostgreSQL type of ${prismaType}; extend expectedType`,
    );
  } else if (column.type !== type) {
    problems.push(`${where}: type is ${column.type}, but ${prismaType} means ${type}`);
  }
  const nullable = field.optional || field.list;
  if (nullable === column.notNull) {
    problems.push(
      `${where}: is ${column.notNull ? 'NOT NULL' : 'nullable'}, but schema.prisma makes it ` +
        `${nullable ? 'nullable (optional or list)' : 'required (NOT NULL)'}`,
    );
  }
  const databaseDefault = field.default !== undefined && !CLIENT_SIDE_DEFAULT.test(field.default);
  if (databaseDefault !== (column.default !== null)) {
    problems.push(
      `${where}: column default is ${column.default ?? 'absent'}, but schema.prisma has ` +
        `${field.default === undefined ? 'no @default' : `@default(${field.default})`}`,
    );
  } else if (
    field.default === 'now()' &&
    !/^(CURRENT_TIMESTAMP|now\(\))$/i.test(column.default ?? '')
  ) {
    problems.push(
      `${where}: column default is ${column.default}, but schema.prisma has @default(now())`,
    );
  }
  return problems;
}

function compareColumns(model: Model, catalog: Catalog): string[] {
  const columns = new Map(
    catalog.columns.filter((column) => column.table === model.table).map((c) => [c.column, c]),
  );
  const problems: string[] = [];
  for (const field of model.scalars) {
    const column = columns.get(field.column);
    if (!column)
      problems.push(
        `${model.name}.${field.name}: table ${model.table} has no column ${field.column}`,
      );
    else problems.push(...compareColumn(model, field, column));
  }
  const fieldColumns = new Set(model.scalars.map((field) => field.column));
  for (const column of columns.keys()) {
    if (!fieldColumns.has(column)) {
      problems.push(
        `${model.name}: table ${model.table} has column ${column}, which no field maps to`,
      );
    }
  }
  return problems;
}

interface DeclaredIndex {
  what: string; // how schema.prisma declares it, for messages
  columns: string[];
  unique: boolean;
  primary: boolean;
  name?: string;
}

function declaredIndexes(model: Model): DeclaredIndex[] {
  const byField = new Map(model.scalars.map((field) => [field.name, field.column]));
  const columnsOf = (fields: string[]) =>
    fields.map((field) => byField.get(field) ?? `<unknown field ${field}>`);
  const declared: DeclaredIndex[] = [];
  const idField = model.scalars.find((field) => field.id);
  const primaryKey = idField
    ? { fields: [idField.name], map: idField.idMap, what: `@id on ${idField.name}` }
    : model.primaryKey && {
        ...model.primaryKey,
        what: `@@id(${fieldList(model.primaryKey.fields)})`,
      };
  if (primaryKey) {
    const columns = columnsOf(primaryKey.fields);
    const name = primaryKey.map ?? defaultName(model.table, [], 'pkey');
    declared.push({ what: primaryKey.what, columns, unique: true, primary: true, name });
  }
  for (const field of model.scalars.filter((f) => f.unique)) {
    const name = field.uniqueMap ?? defaultName(model.table, [field.column], 'key');
    declared.push({
      what: `@unique on ${field.name}`,
      columns: [field.column],
      unique: true,
      primary: false,
      name,
    });
  }
  for (const [kind, keys, unique, suffix] of [
    ['@@unique', model.uniques, true, 'key'],
    ['@@index', model.indexes, false, 'idx'],
  ] as const) {
    for (const key of keys) {
      const columns = columnsOf(key.fields);
      const name = key.map ?? defaultName(model.table, columns, suffix);
      declared.push({
        what: `${kind}(${fieldList(key.fields)})`,
        columns,
        unique,
        primary: false,
        name,
      });
    }
  }
  return declared;
}

function compareIndexes(model: Model, catalog: Catalog): string[] {
  const indexes = catalog.indexes.filter((index) => index.table === model.table);
  const declared = declaredIndexes(model);
  const problems: string[] = [];
  if (!declared.some((index) => index.primary))
    problems.push(`${model.name}: schema.prisma declares no @id or @@id`);
  for (const want of declared) {
    const where = `${model.name} ${want.what}`;
    const found = indexes.find(
      (index) => index.primary === want.primary && sameList(index.columns, want.columns),
    );
    if (!found) {
      const actual = want.primary ? indexes.find((index) => index.primary) : undefined;
      problems.push(
        `${where}: table ${model.table} has no ${want.primary ? 'primary key' : want.unique ? 'unique index' : 'index'} ` +
          `on ${list(want.columns)}${actual ? `; its primary key is ${list(actual.columns)}` : ''}`,
      );
      continue;
    }
    if (found.unique !== want.unique) {
      problems.push(`${where}: index ${found.name} is ${found.unique ? '' : 'not '}unique`);
    }
    if (!found.plain) problems.push(`${where}: index ${found.name} is partial or on expressions`);
    if (want.name !== undefined && found.name !== want.name) {
      problems.push(`${where}: index is named ${found.name}, Prisma names it ${want.name}`);
    }
  }
  // A primary key that differs was reported above; the reverse check covers the other indexes.
  for (const index of indexes.filter((index) => index.plain && !index.primary)) {
    const matches = (want: DeclaredIndex) => !want.primary && sameList(want.columns, index.columns);
    if (!declared.some(matches)) {
      problems.push(
        `${model.name}: table ${model.table} has ${index.unique ? 'unique ' : ''}index ${index.name} ` +
          `on ${list(index.columns)}, which schema.prisma does not declare`,
      );
    }
  }
  return problems;
}

function compareForeignKeys(model: Model, models: Model[], catalog: Catalog): string[] {
  const foreignKeys = catalog.foreignKeys.filter((key) => key.table === model.table);
  const columnOf = (owner: Model | undefined, field: string) =>
    owner?.scalars.find((scalar) => scalar.name === field)?.column ?? `<unknown field ${field}>`;
  const problems: string[] = [];
  const matched = new Set<string>();
  for (const relation of model.relations) {
    const where = `${model.name}.${relation.field}`;
    const target = models.find((candidate) => candidate.name === relation.target);
    const columns = relation.fields.map((field) => columnOf(model, field));
    const found = foreignKeys.find((key) => sameList(key.columns, columns));
    if (!found) {
      problems.push(`${where}: table ${model.table} has no foreign key on ${list(columns)}`);
      continue;
    }
    matched.add(found.name);
    const references = relation.references.map((field) => columnOf(target, field));
    if (found.referencedTable !== target?.table || !sameList(found.referencedColumns, references)) {
      problems.push(
        `${where}: foreign key ${found.name} references ${found.referencedTable}${list(found.referencedColumns)}, ` +
          `schema.prisma says ${target?.table}${list(references)}`,
      );
    }
    const optional = relation.fields.some(
      (field) => model.scalars.find((s) => s.name === field)?.optional,
    );
    const onDelete = relation.onDelete ?? (optional ? 'SetNull' : 'Restrict');
    const onUpdate = relation.onUpdate ?? 'Cascade';
    if (found.onDelete !== onDelete || found.onUpdate !== onUpdate) {
      problems.push(
        `${where}: foreign key ${found.name} is ON DELETE ${found.onDelete} ON UPDATE ${found.onUpdate}, ` +
          `schema.prisma means onDelete ${onDelete}, onUpdate ${onUpdate}`,
      );
    }
    const name = relation.map ?? defaultName(model.table, columns, 'fkey');
    if (name !== undefined && found.name !== name) {
      problems.push(`${where}: foreign key is named ${found.name}, Prisma names it ${name}`);
    }
  }
  for (const key of foreignKeys.filter((key) => !matched.has(key.name))) {
    problems.push(
      `${model.name}: table ${model.table} has foreign key ${key.name} on ${list(key.columns)}, ` +
        'which no @relation declares',
    );
  }
  return problems;
}

const IGNORED_TABLES = new Set(['_prisma_migrations']);

function compareSchema(models: Model[], catalog: Catalog): string[] {
  const problems: string[] = [];
  for (const model of models) {
    if (!catalog.tables.includes(model.table)) {
      problems.push(`${model.name}: table ${model.table} does not exist`);
      continue;
    }
    problems.push(...compareColumns(model, catalog));
    problems.push(...compareIndexes(model, catalog));
    problems.push(...compareForeignKeys(model, models, catalog));
  }
  const modelTables = new Set(models.map((model) => model.table));
  for (const table of catalog.tables) {
    if (!modelTables.has(table) && !IGNORED_TABLES.has(table)) {
      problems.push(
        `table ${table} exists in the database but no model in schema.prisma maps to it`,
      );
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------

async function migratedCatalog(tamper?: string): Promise<Catalog> {
  const database = await createFreshDatabase();
  await applyMigrations(database.url, MIGRATIONS_DIRECTORY);
  return withClient(database.url, async (client) => {
    if (tamper) await client.query(tamper);
    return readCatalog(client);
  });
}

describe('the schema.prisma parser', () => {
  it('reads models, fields, attributes and block attributes', () => {
    const models = parseSchema(`
      // a comment with "quotes" and @id
      model Parent {
        id       String   @id @db.Uuid // trailing comment
        children Child[]
        @@map("parents")
      }
      model Child {
        parentId  String    @map("parent_id") @db.Uuid
        position  Int
        note      String?   @map("note//text")
        tags      String[]  @db.Char(3)
        amount    Decimal   @default(0) @db.Decimal(14, 2)
        code      String    @unique(map: "child_code_unique")
        parent    Parent?   @relation(fields: [parentId], references: [id], onDelete: Cascade)

        @@id([parentId, position])
        @@unique([note, code], map: "note_code")
        @@index([code(sort: Desc), position])
      }
    `);
    expect(models.map((model) => [model.name, model.table])).toEqual([
      ['Parent', 'parents'],
      ['Child', 'Child'],
    ]);
    expect(models[0]!.scalars).toMatchObject([{ name: 'id', id: true, native: { name: 'Uuid' } }]);
    expect(models[0]!.relations).toEqual([]);
    const child = models[1]!;
    expect(child.scalars.map((field) => field.name)).toEqual([
      'parentId',
      'position',
      'note',
      'tags',
      'amount',
      'code',
    ]);
    expect(child.scalars[0]).toMatchObject({
      column: 'parent_id',
      type: 'String',
      optional: false,
      list: false,
    });
    expect(child.scalars[2]).toMatchObject({ column: 'note//text', optional: true });
    expect(child.scalars[3]).toMatchObject({ list: true, native: { name: 'Char', args: ['3'] } });
    expect(child.scalars[4]).toMatchObject({
      default: '0',
      native: { name: 'Decimal', args: ['14', '2'] },
    });
    expect(child.scalars[5]).toMatchObject({ unique: true, uniqueMap: 'child_code_unique' });
    expect(child.relations).toEqual([
      {
        field: 'parent',
        target: 'Parent',
        fields: ['parentId'],
        references: ['id'],
        onDelete: 'Cascade',
      },
    ]);
    expect(child.primaryKey).toEqual({ fields: ['parentId', 'position'] });
    expect(child.uniques).toEqual([{ fields: ['note', 'code'], map: 'note_code' }]);
    expect(child.indexes).toEqual([{ fields: ['code', 'position'] }]);
  });

  it('finds every model and field of prisma/schema.prisma', async () => {
    const schema = await readFile(SCHEMA_PATH, 'utf8');
    const models = parseSchema(schema);
    // Counted independently of the parser, so that a parser that skips lines cannot pass.
    expect(models).toHaveLength(schema.match(/^model\s+\w+\s*\{/gm)!.length);
    for (const model of models) {
      const block = new RegExp(`^model\\s+${model.name}\\s*\\{([^}]*)\\}`, 'm').exec(schema)![1]!;
      const fieldLines = block.split('\n').filter((line) => /^\s*[a-z]\w*\s+[A-Z]\w*/.test(line));
      const backReferences = block.split('\n').filter((line) => {
        const type = /^\s*[a-z]\w*\s+([A-Z]\w*)/.exec(line)?.[1];
        return (
          type !== undefined && models.some((m) => m.name === type) && !line.includes('fields:')
        );
      });
      expect(model.scalars.length + model.relations.length, model.name).toBe(
        fieldLines.length - backReferences.length,
      );
    }
  });
});

describe('schema.prisma and prisma/migrations', () => {
  it('agree on every table, column, type, nullability, default, key, index and foreign key', async () => {
    const models = parseSchema(await readFile(SCHEMA_PATH, 'utf8'));
    const problems = compareSchema(models, await migratedCatalog());
    expect(problems).toEqual([]);
  });

  it('report each kind of difference, naming the model, the field and what differs', async () => {
    const models = parseSchema(await readFile(SCHEMA_PATH, 'utf8'));
    const catalog = await migratedCatalog(`
      ALTER TABLE organizations ADD COLUMN extra TEXT;
      ALTER TABLE organizations ALTER COLUMN npi SET NOT NULL;
      ALTER TABLE organizations ALTER COLUMN created_at DROP DEFAULT;
      ALTER TABLE api_keys ALTER COLUMN key_hash TYPE CHAR(40);
      ALTER TABLE api_keys ALTER COLUMN label DROP NOT NULL;
      ALTER TABLE api_keys DROP CONSTRAINT api_keys_org_id_fkey;
      DROP INDEX api_keys_key_hash_key;
      DROP INDEX ledger_events_aggregate_id_idx;
      ALTER TABLE claims DROP COLUMN line_count;
      ALTER TABLE claims ALTER COLUMN diagnosis_codes TYPE VARCHAR(10)[];
      ALTER TABLE claim_lines DROP CONSTRAINT claim_lines_pkey;
      ALTER TABLE claim_lines ADD PRIMARY KEY (line_number, claim_id);
      CREATE INDEX stray_index ON claim_lines (procedure_code);
      DROP TABLE ledger_sequence;
      CREATE TABLE stray (id INTEGER);
    `);
    const problems = compareSchema(models, catalog);
    const expected = [
      'Organization: table organizations has column extra, which no field maps to',
      'Organization.npi (organizations.npi): is NOT NULL, but schema.prisma makes it nullable',
      'Organization.createdAt (organizations.created_at): column default is absent, but schema.prisma has @default(now())',
      'ApiKey.keyHash (api_keys.key_hash): type is character(40), but String @db.Char(64) means character(64)',
      'ApiKey.label (api_keys.label): is nullable, but schema.prisma makes it required',
      'ApiKey.organization: table api_keys has no foreign key on (org_id)',
      'ApiKey @unique on keyHash: table api_keys has no unique index on (key_hash)',
      'LedgerEvent @@index([aggregateId]): table ledger_events has no index on (aggregate_id)',
      'Claim.lineCount: table claims has no column line_count',
      'Claim.diagnosisCodes (claims.diagnosis_codes): type is character varying(10)[], but String[] means text[]',
      'ClaimLine @@id([claimId, lineNumber]): table claim_lines has no primary key on (claim_id, line_number); its primary key is (line_number, claim_id)',
      'ClaimLine: table claim_lines has index stray_index on (procedure_code), which schema.prisma does not declare',
      'LedgerSequence: table ledger_sequence does not exist',
      'table stray exists in the database but no model in schema.prisma maps to it',
    ];
    for (const line of expected) {
      expect(
        problems.some((problem) => problem.startsWith(line)),
        `${line}\nin:\n${problems.join('\n')}`,
      ).toBe(true);
    }
  });
});
