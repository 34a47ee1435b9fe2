import { writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { type ZodType, z } from 'zod';
import { appRouter } from '../src/root.ts';

const PACKAGE = path.resolve(import.meta.dirname, '..');
const ROOT = path.resolve(PACKAGE, '../..');

/**
 * docs/api.md, generated from the routers: every tRPC procedure with its kind, its input (from the zod
 * schema the procedure validates with, through zod's JSON Schema) and its output (the type TypeScript infers
 * for it, as it arrives in JSON). `pnpm docs:api` writes it; packages/api-contract/tests/api-reference.test.ts
 * regenerates it and
 * compares, so a router change without the regenerated file fails CI.
 */
export const API_REFERENCE = path.join(ROOT, 'docs/api.md');

type Json = Record<string, unknown>;
interface Procedure {
  path: string;
  type: 'query' | 'mutation' | 'subscription';
  input?: ZodType;
}

/** tRPC v11 keeps the flattened procedures (`clinic.byId`) and their input parsers on the router's `_def`. */
function procedures(): Procedure[] {
  const procs = (appRouter as unknown as { _def: { procedures: Record<string, unknown> } })._def.procedures;
  return Object.entries(procs).map(([p, proc]) => {
    const def = (proc as { _def: { type: Procedure['type']; inputs: ZodType[] } })._def;
    if (def.inputs.length > 1) throw new Error(`${p}: more than one .input() is not described`);
    return { path: p, type: def.type, ...(def.inputs[0] ? { input: def.inputs[0] } : {}) };
  });
}

/** A JSON Schema as a TypeScript-like type, with its limits in words. */
function typeOf(s: Json, indent = ''): string {
  if (Array.isArray(s.anyOf)) return (s.anyOf as Json[]).map((m) => typeOf(m, indent)).join(' | ');
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
  if (s.type === 'object') {
    const props = Object.entries((s.properties as Record<string, Json>) ?? {});
    if (props.length === 0) return '{}';
    const required = new Set((s.required as string[]) ?? []);
    const inner = `${indent}  `;
    const lines = props.map(([k, v]) => {
      const optional = required.has(k) ? '' : '?';
      const dflt = v.default !== undefined ? ` // default ${JSON.stringify(v.default)}` : '';
      return `${inner}${k}${optional}: ${typeOf(v, inner)};${dflt}`;
    });
    return `{\n${lines.join('\n')}\n${indent}}`;
  }
  if (s.type === 'array') return `${typeOf(s.items as Json, indent)}[]`;
  const limits: string[] = [];
  if (s.type === 'string') {
    if (s.minLength !== undefined || s.maxLength !== undefined) {
      limits.push(`${s.minLength ?? 0}–${s.maxLength ?? '∞'} characters`);
    }
    if (s.format) limits.push(String(s.format));
    else if (s.pattern) limits.push(`matches /${s.pattern}/`);
  }
  if (s.type === 'integer' || s.type === 'number') {
    if (s.minimum !== undefined || s.maximum !== undefined) limits.push(`${s.minimum ?? '-∞'}–${s.maximum ?? '∞'}`);
  }
  const base = s.type === 'integer' ? 'integer' : String(s.type ?? 'unknown');
  return limits.length ? `${base} /* ${limits.join(', ')} */` : base;
}

/** A value for the required fields only, or undefined when no simple one fits (the caller validates it). */
function exampleOf(s: Json, key = ''): unknown {
  if (s.default !== undefined && s.type !== 'object') return undefined;
  if (Array.isArray(s.anyOf)) return exampleOf((s.anyOf as Json[])[0] as Json, key);
  if (Array.isArray(s.enum)) return (s.enum as unknown[])[0];
  if (s.type === 'object') {
    const out: Json = {};
    for (const k of (s.required as string[]) ?? []) {
      out[k] = exampleOf((s.properties as Record<string, Json>)[k] as Json, k);
    }
    return out;
  }
  if (s.type === 'string') {
    if (s.format === 'email') return 'ada@example.com';
    if (s.pattern) return /price|amount|override/i.test(key) ? '120.50' : undefined;
    if (/id$/i.test(key) || key === '') return key === 'userId' ? 'demo-user' : 'seed-clinic-north';
    return key === 'code' ? 'NEW1' : `New ${key}`;
  }
  if (s.type === 'integer' || s.type === 'number') return (s.minimum as number | undefined) ?? 1;
  if (s.type === 'boolean') return false;
  return undefined;
}

/** The example as the README's curl calls send it, only if the procedure's own schema accepts it. */
function exampleCall(p: Procedure, schema: Json | undefined): string | undefined {
  const value = schema ? exampleOf(schema) : undefined;
  if (p.input && (value === undefined || !p.input.safeParse(value).success)) return undefined;
  const json = value === undefined ? undefined : JSON.stringify(value);
  const auth = '-H "Authorization: Bearer $TOKEN"';
  if (p.type === 'query') {
    const query = json && json !== '{}' ? `?input=${encodeURIComponent(json)}` : '';
    return `curl -s ${auth} "$API/${p.path}${query}"   # input: ${json ?? 'none'}`;
  }
  return `curl -s ${auth} -H 'content-type: application/json' -d '${json ?? '{}'}' "$API/${p.path}"`;
}

/** Each procedure's output type, as inferRouterOutputs<AppRouter> says, expanded to plain JSON shapes. */
function outputTypes(): Map<string, string> {
  const entry = path.join(PACKAGE, '.api-reference-entry.ts');
  const source = [
    "import type { inferRouterOutputs } from '@trpc/server';",
    "import type { AppRouter } from './src/root.ts';",
    'export type Outputs = inferRouterOutputs<AppRouter>;',
  ].join('\n');
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('tsconfig.json could not be read');
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    path.resolve(name) === entry ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === entry || fileExists(name);
  const program = ts.createProgram([entry], config.options, host);
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(entry) as ts.SourceFile;
  const outputs = checker.getExportsOfModule(checker.getSymbolAtLocation(file) as ts.Symbol)[0] as ts.Symbol;
  const root = checker.getDeclaredTypeOfSymbol(outputs);

  const show = (t: ts.Type, indent: string, depth: number): string => {
    // A named type (the ORM's recursive JsonValue): its name, not its expansion.
    if (t.aliasSymbol) return t.aliasSymbol.name;
    if (t.isUnion()) {
      const parts = t.types.map((m) => show(m, indent, depth));
      const bool = parts.includes('true') && parts.includes('false');
      const kept = bool ? ['boolean', ...parts.filter((x) => x !== 'true' && x !== 'false')] : parts;
      return [...new Set(kept)].join(' | ');
    }
    if (checker.isArrayType(t)) {
      const element = checker.getTypeArguments(t as ts.TypeReference)[0] as ts.Type;
      const item = show(element, indent, depth);
      return element.isUnion() && !element.aliasSymbol ? `(${item})[]` : `${item}[]`;
    }
    const props = t.getProperties();
    if (t.flags & ts.TypeFlags.Object && props.length > 0 && depth < 6) {
      const inner = `${indent}  `;
      const lines = props.map((p) => {
        const pt = checker.getTypeOfSymbol(p);
        return `${inner}${p.name}: ${show(pt, inner, depth + 1)};`;
      });
      return `{\n${lines.join('\n')}\n${indent}}`;
    }
    return checker.typeToString(t, undefined, ts.TypeFormatFlags.NoTruncation);
  };

  const out = new Map<string, string>();
  for (const router of root.getProperties()) {
    for (const proc of checker.getTypeOfSymbol(router).getProperties()) {
      out.set(`${router.name}.${proc.name}`, show(checker.getTypeOfSymbol(proc), '', 0));
    }
  }
  return out;
}

/** The whole of docs/api.md. */
export function renderApiReference(): string {
  const outputs = outputTypes();
  const sections = procedures().map((p) => {
    const schema = p.input
      ? (z.toJSONSchema(p.input, { io: 'input', unrepresentable: 'any' }) as Json & { $schema?: string })
      : undefined;
    if (schema) delete schema.$schema;
    const call = exampleCall(p, schema);
    const how = p.type === 'query' ? 'query: `GET /<name>?input=<JSON, URL-encoded>`' : 'mutation: `POST /<name>`';
    return [
      `### \`${p.path}\``,
      '',
      `${how.replace('<name>', p.path)}`,
      '',
      'Input:',
      '',
      '```ts',
      schema ? typeOf(schema) : '(none)',
      '```',
      '',
      'Output (JSON):',
      '',
      '```ts',
      outputs.get(p.path) ?? '(unknown)',
      '```',
      ...(call ? ['', 'Example:', '', '```bash', call, '```'] : []),
      '',
    ].join('\n');
  });
  const toc = procedures()
    .map((p) => `[\`${p.path}\`](#${p.path.replace(/\./g, '').toLowerCase()})`)
    .join(' · ');
  return [
    '# API reference (`@acme/api-contract`)',
    '',
    "<!-- Generated by `pnpm docs:api` from packages/api-contract (the zod inputs and the routers' inferred",
    '     outputs). Do not edit: packages/api-contract/tests/api-reference.test.ts fails when this file is stale. -->',
    '',
    'Every procedure needs `Authorization: Bearer <token>` (401 without one); the access rules decide the rest',
    '(README: The API, Access policies). Over HTTP a query is `GET /<procedure>?input=<JSON>` (URL-encoded) and',
    'a mutation `POST /<procedure>` with the JSON input as the body. `$API` is `http://127.0.0.1:3000` under',
    '`pnpm demo`; `$TOKEN` one of the tokens it prints. Money is a 2-decimal string; timestamps are ISO 8601.',
    'An input with an unknown key is refused (400). A successful answer is `{"result":{"data":<output>}}`.',
    '',
    toc,
    '',
    ...sections,
  ].join('\n');
}

// `pnpm docs:api`: writes docs/api.md.
if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  writeFileSync(API_REFERENCE, renderApiReference());
  console.log(`[docs:api] wrote ${path.relative(ROOT, API_REFERENCE)} (${procedures().length} procedures)`);
}
