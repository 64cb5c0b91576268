import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { REPO_ROOT } from './klaxon-process.ts';

export const OPENAPI_PATH = `${REPO_ROOT}docs/openapi.yaml`;

export type Service = 'ingest' | 'escalation' | 'projection';
/** The public contract's ports: a server of the document is a service by its port. */
const SERVICE_OF_PORT: Record<string, Service> = { '8080': 'ingest', '8081': 'escalation', '8082': 'projection' };

/* eslint-disable @typescript-eslint/no-explicit-any -- an OpenAPI document is arbitrary JSON, walked by key */
export type OpenApi = Record<string, any>;

export interface Operation {
  service: Service;
  method: string;
  /** The document's path template, `/api/v1/incidents/{id}`. */
  path: string;
  /** `/api/v1/incidents/{id}` → a request path that fills each parameter with a sample. */
  sample: string;
  /** Status code (or `default`) → its response object, `$ref`s resolved. */
  responses: Record<string, any>;
  /** JSON pointer of the operation in the document. */
  pointer: string;
}

export function loadOpenApi(path = OPENAPI_PATH): OpenApi {
  return parse(readFileSync(path, 'utf8'), { merge: true }) as OpenApi;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function resolveRef(doc: OpenApi, node: any): { node: any; pointer?: string } {
  if (!node || typeof node.$ref !== 'string') return { node };
  const pointer = node.$ref as string;
  if (!pointer.startsWith('#/')) throw new Error(`only local $refs are read: ${pointer}`);
  const target = pointer
    .slice(2)
    .split('/')
    .reduce((at: any, key) => at?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  if (target === undefined) throw new Error(`$ref ${pointer} points at nothing`);
  return { node: target, pointer };
}

/** Every operation of the document, once per service whose server the path (or operation) names. */
export function operationsOf(doc: OpenApi): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const method of METHODS.filter((m) => item[m])) {
      const operation = item[method];
      const servers: { url: string }[] = operation.servers ?? item.servers ?? doc.servers ?? [];
      for (const server of servers) {
        const port = new URL(server.url).port;
        const service = SERVICE_OF_PORT[port];
        if (!service)
          throw new Error(`${method.toUpperCase()} ${path}: server ${server.url} is none of the three services`);
        const responses = Object.fromEntries(
          Object.entries<any>(operation.responses ?? {}).map(([status, r]) => [status, resolveRef(doc, r)]),
        );
        operations.push({
          service,
          method,
          path,
          sample: path.replace(/\{([^}]+)\}/g, (_, name: string) => `sample-${name}`),
          responses: Object.fromEntries(
            Object.entries(responses).map(([status, { node, pointer }]) => [
              status,
              { ...node, pointer: pointer ?? `#/paths/${escapePointer(path)}/${method}/responses/${status}` },
            ]),
          ),
          pointer: `#/paths/${escapePointer(path)}/${method}`,
        });
      }
    }
  }
  return operations;
}

/** The operation a request path reaches: literal segments must match, `{param}` segments take any one. */
export function operationFor(
  operations: Operation[],
  service: Service,
  method: string,
  requestPath: string,
): Operation | undefined {
  const segments = requestPath.split('/');
  const fits = (template: string) => {
    const parts = template.split('/');
    return (
      parts.length === segments.length &&
      parts.every((part, i) => (/^\{[^}]+\}$/.test(part) ? segments[i] !== '' : part === segments[i]))
    );
  };
  const candidates = operations.filter(
    (o) => o.service === service && o.method === method.toLowerCase() && fits(o.path),
  );
  // A literal segment wins over a parameter (`/console/vendor/{file}` over `/console/{file}`), as in OpenAPI.
  return candidates.sort((a, b) => literalSegments(b.path) - literalSegments(a.path))[0];
}

const literalSegments = (template: string) => template.split('/').filter((p) => p && !p.startsWith('{')).length;

/** JSON Schema 2020-12 validators for the document's response bodies, their `#/components/...` refs resolved. */
export function responseValidators(doc: OpenApi) {
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true, allowUnionTypes: true });
  addFormats.default(ajv);
  // `required` may name what an `allOf` part defines, so strictRequired's same-object check is off.
  // The document's own keywords are not JSON Schema: read as annotations, so the whole document is one schema
  // whose `#/components/schemas/…` references resolve as the document means them.
  ajv.addVocabulary([
    'openapi',
    'info',
    'servers',
    'tags',
    'paths',
    'components',
    'security',
    'webhooks',
    'jsonSchemaDialect',
    'externalDocs',
  ]);
  const id = 'https://klaxon.invalid/openapi.yaml';
  ajv.addSchema({ ...doc, $id: id });
  const cache = new Map<string, ValidateFunction>();
  return (responsePointer: string, mediaType: string): ValidateFunction => {
    const pointer = `${responsePointer}/content/${escapePointer(mediaType)}/schema`;
    let validate = cache.get(pointer);
    if (!validate) {
      validate = ajv.getSchema(`${id}${pointer}`);
      if (!validate) throw new Error(`no schema at ${pointer}`);
      cache.set(pointer, validate);
    }
    return validate;
  };
}
