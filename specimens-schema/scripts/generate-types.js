#!/usr/bin/env node
'use strict';
/**
 * Generates specimens-schema/src/generated/types.ts from schemas/*.schema.json.
 *
 * All files are compiled together as definitions of one root schema, with their
 * cross-file `$ref`s rewritten to local pointers: compiling file by file would
 * declare every referenced type again in each file (Capture1, LightSourceId2 …).
 * Type names come from each schema's `title`; a duplicated name fails the build
 * rather than being emitted with a numeric suffix.
 *
 * The root type `SchemaTypes` maps each schema name (file name without
 * `.schema.json`) to its type, which lets `validate(name, data)` narrow.
 */
const fs = require('node:fs');
const path = require('node:path');

const packageDir = path.resolve(__dirname, '..');
const schemaDir = path.join(packageDir, 'schemas');
// `--out <file>` writes elsewhere (the tests compare two runs).
const outArg = process.argv.indexOf('--out');
const outFile = outArg !== -1 && process.argv[outArg + 1] ? path.resolve(process.argv[outArg + 1]) : path.join(packageDir, 'src', 'generated', 'types.ts');
const ID_BASE = 'https://exemplar.local/schemas/';
const SUFFIX = '.schema.json';
/** Keywords that only constrain values; they change no TypeScript type and
 * json-schema-to-typescript would otherwise turn `then`/`else` members into
 * spurious intersections. */
const VALIDATION_ONLY = new Set(['if', 'then', 'else', 'not']);

function fail(message) {
  process.stderr.write(`generate-types: ${message}\n`);
  process.exit(1);
}

function loadSchemas() {
  const files = fs.readdirSync(schemaDir).filter((f) => f.endsWith(SUFFIX)).sort();
  const byFile = new Map();
  for (const file of files) {
    const schema = JSON.parse(fs.readFileSync(path.join(schemaDir, file), 'utf8'));
    if (schema.$id !== ID_BASE + file) fail(`${file}: $id must be ${ID_BASE + file}`);
    if (typeof schema.title !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(schema.title)) {
      fail(`${file}: title must be the PascalCase type name`);
    }
    byFile.set(file, schema);
  }
  return byFile;
}

/** `other.schema.json#/definitions/x` (relative to file) → `#/definitions/<OtherTitle>/definitions/x`. */
function rewriteRef(ref, currentFile, byFile) {
  const hash = ref.indexOf('#');
  const target = hash === -1 ? ref : ref.slice(0, hash);
  const pointer = hash === -1 ? '' : ref.slice(hash + 1);
  const file = target === '' ? currentFile : target.startsWith(ID_BASE) ? target.slice(ID_BASE.length) : target;
  const schema = byFile.get(file);
  if (!schema) fail(`${currentFile}: $ref to unknown schema "${ref}"`);
  // Every file's definitions are hoisted to the root (see main), so point there.
  const m = /^\/definitions\/([^/]+)(.*)$/.exec(pointer);
  if (m) return `#/definitions/${hoistedKey(schema, m[1])}${m[2]}`;
  if (isDefinitionsOnly(schema)) fail(`${currentFile}: $ref "${ref}" must point into the definitions of ${file}`);
  return `#/definitions/${schema.title}${pointer}`;
}

/** A file like common.schema.json only collects building blocks: it validates
 * no record of its own, so it gets no type. */
function isDefinitionsOnly(schema) {
  return !('type' in schema) && !('oneOf' in schema) && !('$ref' in schema) && typeof schema.definitions === 'object';
}

function hoistedKey(schema, name) {
  return `${schema.title}.${name}`;
}

/** Entries of a vocabulary file (definitions.entries.oneOf), or undefined. */
function vocabularyEntries(schema) {
  const entries = schema.definitions && schema.definitions.entries;
  return entries && Array.isArray(entries.oneOf) ? entries.oneOf : undefined;
}

/** The root `enum` (or `pattern`) validates; the entries document. They must agree. */
function checkVocabulary(file, schema, entries) {
  const consts = entries.filter((e) => 'const' in e).map((e) => e.const);
  if (Array.isArray(schema.enum)) {
    const same = consts.length === schema.enum.length && consts.every((c, i) => c === schema.enum[i]);
    if (!same) fail(`${file}: enum and definitions.entries list different values (same order required)`);
    if (consts.length !== entries.length) fail(`${file}: with an enum, every entry must be a const`);
  } else if (typeof schema.pattern === 'string') {
    const re = new RegExp(schema.pattern, 'u');
    const bad = consts.filter((c) => !re.test(c));
    if (bad.length) fail(`${file}: entries not matched by the root pattern: ${bad.join(', ')}`);
  } else fail(`${file}: a vocabulary needs a root enum or pattern`);
}

/** A vocabulary entry: a `const` branch of `oneOf`. Its title is a human label,
 * not a type name, so it must not become a declared type. */
function isVocabularyEntry(node) {
  return node !== null && typeof node === 'object' && ('const' in node || 'pattern' in node) && !('type' in node);
}

function transform(node, currentFile, byFile, isRoot, inOneOf) {
  if (Array.isArray(node)) return node.map((n) => transform(n, currentFile, byFile, false, inOneOf));
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (VALIDATION_ONLY.has(key)) continue;
    if (key === '$schema' || key === '$id') continue;
    if (key === '$ref') out.$ref = rewriteRef(value, currentFile, byFile);
    else if (key === 'x-ts-type') out.tsType = value;
    else if (key.startsWith('x-')) continue;
    else if (key === 'title' && inOneOf && !isRoot && isVocabularyEntry(node)) continue;
    else if (key === 'oneOf' || key === 'anyOf') out[key] = value.map((n) => transform(n, currentFile, byFile, false, true));
    else if (key === 'properties' || key === 'definitions') {
      out[key] = {};
      for (const [name, sub] of Object.entries(value)) out[key][name] = transform(sub, currentFile, byFile, false, false);
    } else out[key] = transform(value, currentFile, byFile, false, false);
  }
  return out;
}

async function main() {
  const { compile } = require('json-schema-to-typescript');
  const byFile = loadSchemas();
  const definitions = {};
  const properties = {};
  for (const [file, schema] of byFile) {
    if (definitions[schema.title]) fail(`${file}: title ${schema.title} used twice`);
    // Hoisted because json-schema-to-typescript only declares unreachable
    // definitions at the root, and LightBand & co. are referenced by no record.
    const entries = vocabularyEntries(schema);
    for (const [name, sub] of Object.entries(schema.definitions ?? {})) {
      if (entries && name === 'entries') continue;
      definitions[hoistedKey(schema, name)] = transform(sub, file, byFile, false, false);
    }
    if (isDefinitionsOnly(schema)) continue;
    const { definitions: _hoisted, ...body } = schema;
    if (entries) {
      checkVocabulary(file, schema, entries);
      // The union of the entries is the precise type (e.g. `page-${number}`, which a pattern cannot give).
      definitions[schema.title] = transform({ title: body.title, description: body.description, oneOf: entries }, file, byFile, true, false);
    } else {
      definitions[schema.title] = transform(body, file, byFile, true, false);
    }
    properties[file.slice(0, -SUFFIX.length)] = { $ref: `#/definitions/${schema.title}` };
  }
  const root = {
    title: 'SchemaTypes',
    description: 'Schema name (file name without .schema.json) → the type of the data it validates.',
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties),
    properties,
    definitions,
  };
  let ts = await compile(root, 'SchemaTypes', {
    bannerComment:
      '/* Generated by specimens-schema/scripts/generate-types.js from specimens-schema/schemas/*.schema.json. Do not edit. */',
    additionalProperties: false,
    unreachableDefinitions: true,
    declareExternallyReferenced: true,
    strictIndexSignatures: true,
    unknownAny: true,
    format: false,
    // Non-empty tuple types ([T, ...T[]]) for minItems make building arrays awkward; Ajv enforces the bounds.
    ignoreMinAndMaxItems: true,
    $refOptions: { resolve: { external: false } },
  });
  // json-schema-to-typescript appends a number when two schemas would get the same name.
  const declared = [...ts.matchAll(/^export (?:type|interface) (\w+)/gm)].map((m) => m[1]);
  const clash = declared.filter((n) => /\d$/.test(n) && declared.includes(n.replace(/\d+$/, '')));
  if (clash.length) fail(`duplicated type names in output: ${clash.join(', ')}; give the schemas distinct titles`);
  const missing = Object.keys(properties).map((n) => byFile.get(n + SUFFIX).title).filter((n) => !declared.includes(n));
  if (missing.length) fail(`types not declared: ${missing.join(', ')}`);
  ts = ts.replace(/\r\n/g, '\n');
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const previous = fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8') : null;
  // Unchanged output keeps its mtime so `tsc -b` sees nothing to rebuild.
  if (previous !== ts) fs.writeFileSync(outFile, ts);
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)));
